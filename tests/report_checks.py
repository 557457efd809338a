"""Read report.md back and compare every number in it with the metrics it was made from."""

from __future__ import annotations

import re
from typing import Any

import pytest

ROUNDED_4 = 5.1e-5  # half a unit in the 4th decimal, plus float slack
ROUNDED_POINTS = 5.1e-5  # "+0.56 pp" is 0.0056 rounded to 0.0001

PAIR_LINE = re.compile(
    r"^- (?:(?P<first>\S+) vs (?P<second>\S+): no significant difference on these test images "
    r"\(this run of each\)|(?P<winner>\S+) beats (?P<loser>\S+) on these test images \(this "
    r"run of each\)): (?P<many>\d+) vs (?P<few>\d+) "
    r"discordant images, (?:p = (?P<p>[0-9.e+-]+)|p < 1e-300)\.$"
)
OVERFITTING_LINE = re.compile(
    r"^- \*\*(?P<name>\S+)\*\*: (?P<verdict>[a-z ]+)\. Train-val gap (?P<train_val>[+-][\d.]+) pp, "
    r"train-test gap (?P<train_test>[+-][\d.]+) pp; best validation accuracy (?P<best>[\d.]+) "
    r"at epoch (?P<best_epoch>\d+) of (?P<epochs>\d+); validation loss lowest "
    r"(?P<lowest>[\d.]+) at epoch (?P<lowest_epoch>\d+), then (?P<rise>[+-][\d.]+)"
)


def percentage_points(text: str) -> float:
    return float(text.replace(" pp", "")) / 100


def table_rows(report: str, header_start: str) -> dict[str, list[str]]:
    """Cells of each row of the markdown table whose header starts with `header_start`."""
    lines = report.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(header_start))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        rows[cells[0]] = cells[1:]
    return rows


def check_table(report: str, training: dict[str, Any], evaluation: dict[str, Any]) -> None:
    models = [name for name in evaluation if name != "pairs"]
    rows = table_rows(report, "| model | params |")
    assert sorted(rows) == sorted(models)
    for name, cells in rows.items():
        train, test = training[name], evaluation[name]["test"]
        params, epochs, train_acc, val_acc, test_cell, loss, train_val, train_test = cells[:8]
        assert int(params.replace(",", "")) == train["num_params"]
        assert int(epochs) == train["epochs_run"]
        assert float(train_acc) == pytest.approx(train["train"]["accuracy"], abs=ROUNDED_4)
        assert float(val_acc) == pytest.approx(train["val"]["accuracy"], abs=ROUNDED_4)
        accuracy, low, high = map(float, re.findall(r"[\d.]+", test_cell))
        assert accuracy == pytest.approx(test["accuracy"], abs=ROUNDED_4)
        assert low == pytest.approx(test["accuracy_ci"]["low"], abs=ROUNDED_4)
        assert high == pytest.approx(test["accuracy_ci"]["high"], abs=ROUNDED_4)
        assert float(loss) == pytest.approx(test["loss"], abs=ROUNDED_4)
        assert percentage_points(train_val) == pytest.approx(
            evaluation[name]["gap"]["train_val"], abs=ROUNDED_POINTS
        )
        assert percentage_points(train_test) == pytest.approx(
            evaluation[name]["gap"]["train_test"], abs=ROUNDED_POINTS
        )


def check_pairs(report: str, evaluation: dict[str, Any]) -> None:
    matches = [PAIR_LINE.match(line) for line in report.splitlines()]
    found = [match for match in matches if match]
    assert len(found) == len(evaluation["pairs"])
    for match in found:
        first, second = match["first"] or match["winner"], match["second"] or match["loser"]
        key = (
            f"{first}_vs_{second}"
            if f"{first}_vs_{second}" in evaluation["pairs"]
            else f"{second}_vs_{first}"
        )
        pair = evaluation["pairs"][key]
        counts = (int(match["many"]), int(match["few"]))
        only_first, only_second = pair["only_first_correct"], pair["only_second_correct"]
        if match["winner"]:
            winner_count = only_first if key.startswith(f"{first}_vs_") else only_second
            assert counts == (winner_count, only_first + only_second - winner_count)
        else:
            assert counts == (only_first, only_second)
        if match["p"] is None:
            assert pair["p_value"] < 1e-300
        else:
            assert float(match["p"]) == pytest.approx(pair["p_value"], rel=5e-2, abs=5e-4)


def check_overfitting(report: str, training: dict[str, Any], evaluation: dict[str, Any]) -> None:
    found = [match for match in map(OVERFITTING_LINE.match, report.splitlines()) if match]
    assert sorted(match["name"] for match in found) == sorted(
        name for name in evaluation if name != "pairs"
    )
    for match in found:
        result, analysis = evaluation[match["name"]], evaluation[match["name"]]["overfitting"]
        assert match["verdict"] == analysis["verdict"]
        assert percentage_points(match["train_val"]) == pytest.approx(
            result["gap"]["train_val"], abs=ROUNDED_POINTS
        )
        assert percentage_points(match["train_test"]) == pytest.approx(
            result["gap"]["train_test"], abs=ROUNDED_POINTS
        )
        assert float(match["best"]) == pytest.approx(analysis["best_val_accuracy"], abs=ROUNDED_4)
        assert int(match["best_epoch"]) == analysis["best_val_accuracy_epoch"]
        assert int(match["epochs"]) == training[match["name"]]["epochs_run"]
        assert float(match["lowest"]) == pytest.approx(analysis["lowest_val_loss"], abs=ROUNDED_4)
        assert int(match["lowest_epoch"]) == analysis["lowest_val_loss_epoch"]
        assert float(match["rise"]) == pytest.approx(analysis["val_loss_rise"], abs=ROUNDED_4)


def check_per_class(report: str, evaluation: dict[str, Any]) -> None:
    rows = table_rows(report, "| model | 0 |")
    for name, cells in rows.items():
        scores = evaluation[name]["per_class"]
        assert [float(cell) for cell in cells] == pytest.approx(
            [scores[str(digit)]["f1"] for digit in range(len(cells))], abs=5.1e-4
        )


def check_report_matches_metrics(
    report: str, training: dict[str, Any], evaluation: dict[str, Any]
) -> None:
    check_table(report, training, evaluation)
    check_per_class(report, evaluation)
    check_pairs(report, evaluation)
    check_overfitting(report, training, evaluation)
