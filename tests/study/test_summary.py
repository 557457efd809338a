"""The study's metrics, details, report and README block from made-up runs (no training)."""

from __future__ import annotations

import dataclasses

import pytest

from mnist_cnn.errors import DataError
from mnist_cnn.params import load_params
from mnist_cnn.study import summary
from mnist_cnn.study.readme import results_block
from mnist_cnn.study.report import decision_line, interval_text, render_study_report
from tests.helpers import REPO_ROOT

IMAGES = 10000


def record(model: str, seed: int, correct: int, epochs: int = 3, **extra) -> dict:
    return {
        "model": model,
        "seed": seed,
        "test_accuracy": correct / IMAGES,
        "test_correct": correct,
        "test_images": IMAGES,
        "val_accuracy": 0.98,
        "train_accuracy": 0.95 + seed / 1000,
        "test_loss": 0.03 + seed / 1000,
        "epochs_run": epochs,
        **extra,
    }


RECORDS = [
    record("A", 1, 9850),
    record("A", 2, 9870),
    record("A", 3, 9860),
    record("B", 1, 9900, epochs=4),
    record("B", 2, 9910),
    record("B", 3, 9890),
]
NOTEBOOK = {"B": {"test_accuracy": 0.9915, "epochs_run": 10.0}}
SETTINGS = summary.SeedStudySettings(
    comparisons=(("A", "B"),),
    confidence=0.95,
    equivalence_margin=0.0015,
    power=0.8,
    max_replicates=25,
    epoch_bounds={"A": (3.0, 3.0), "B": (2.0, 10.0)},
)


def test_the_seed_metrics_hold_only_what_a_person_compares():
    metrics, _ = summary.seed_study(RECORDS, NOTEBOOK, SETTINGS)
    assert metrics["models"]["A"] == {
        "test_accuracy_mean": pytest.approx(0.986),
        "test_accuracy_sd": pytest.approx(0.001),
    }
    comparison = metrics["comparisons"]["A_vs_B"]
    assert set(comparison) == {
        "difference",
        "simultaneous_low",
        "simultaneous_high",
        "p",
        "p_holm",
        "verdict",
    }
    assert comparison["difference"] == pytest.approx(-0.004)
    # p-values as text with three significant digits: `dvc metrics diff` rounds floats to
    # five decimals, which would print a small p as 0.0.
    assert comparison["p"] == f"{float(comparison['p']):.2e}"
    # A family of one: Holm leaves the p-value as it is.
    assert comparison["p_holm"] == comparison["p"]
    assert comparison["verdict"] == "B is better"


def test_the_details_keep_the_family_the_exploratory_pairs_and_the_fidelity():
    three = [*RECORDS, record("C", 1, 9880), record("C", 2, 9881), record("C", 3, 9879)]
    _, details = summary.seed_study(three, NOTEBOOK, SETTINGS)
    assert details["family"] == ["A_vs_B"]
    assert set(details["exploratory"]) == {"A_vs_C", "B_vs_C"}
    assert details["declared"]["A_vs_B"]["scope"] == "these test images"
    assert details["declared"]["A_vs_B"]["image_variance"] is None
    # 0.9915 lies above every B run (0.989-0.991) but inside the prediction interval.
    verdict = details["notebook"]["figures"]["B"]["test_accuracy"]
    assert verdict["within_range"] is False and verdict["within_prediction_interval"] is True
    # B's epochs vary (4, 3, 3): tested, and its interval clipped to [patience + 1, cap].
    epochs = details["models"]["B"]["epochs_run"]
    assert epochs["pi_low"] >= 2.0 and epochs["pi_high"] <= 10.0
    assert details["notebook"]["tested"] == 2


def test_a_figure_constant_across_runs_is_left_out_of_the_tests():
    notebook = {"A": {"epochs_run": 3.0, "test_accuracy": 0.9855}}
    _, details = summary.seed_study(RECORDS, notebook, SETTINGS)
    assert details["notebook"]["constant"] == {"A": {"epochs_run": 3.0}}
    assert list(details["notebook"]["figures"]["A"]) == ["test_accuracy"]


def test_per_image_correctness_widens_the_interval_to_cover_the_test_images():
    def image_record(model: str, seed: int, pattern: str) -> dict:
        return {
            "model": model,
            "seed": seed,
            "test_accuracy": pattern.count("1") / len(pattern),
            "test_correct": pattern.count("1"),
            "test_images": len(pattern),
            summary.IMAGES_FIELD: pattern,
        }

    runs = [
        image_record("A", 1, "11101110"),
        image_record("A", 2, "11001111"),
        image_record("B", 1, "10101111"),
        image_record("B", 2, "10111011"),
    ]
    plain = [
        {key: value for key, value in run.items() if key != summary.IMAGES_FIELD} for run in runs
    ]
    settings = dataclasses.replace(SETTINGS, epoch_bounds={})
    _, with_images = summary.seed_study(runs, {}, settings)
    _, without = summary.seed_study(plain, {}, settings)
    widened, conditional = with_images["declared"]["A_vs_B"], without["declared"]["A_vs_B"]
    assert widened["scope"] == "seeds and test images"
    assert widened["image_variance"] > 0
    assert widened["standard_error"] ** 2 == pytest.approx(
        conditional["standard_error"] ** 2 + widened["image_variance"]
    )


def test_a_run_whose_accuracy_is_not_its_count_is_refused():
    broken = [*RECORDS[:-1], {**RECORDS[-1], "test_correct": 1}]
    with pytest.raises(DataError, match=r"accuracy 0.989 is not 1/10000"):
        summary.seed_study(broken, NOTEBOOK, SETTINGS)


def test_records_come_back_from_the_committed_rows():
    rows = summary.per_seed_rows(RECORDS)
    again = summary.records_from_rows(rows, IMAGES)
    assert [run["test_correct"] for run in again] == [run["test_correct"] for run in RECORDS]
    assert [run["test_accuracy"] for run in again] == [run["test_accuracy"] for run in RECORDS]


def test_crossval_reports_the_corrected_test_with_its_interval_and_labels_the_plain_one():
    scores = {"A": [0.985, 0.984, 0.986], "B": [0.989, 0.990, 0.988]}
    metrics, details = summary.crossval_study(scores, n_test=20000, n_train=40000, confidence=0.95)
    pair = details["pairs"]["A_vs_B"]
    assert pair["corrected"]["folds_first_ahead"] == 0
    assert pair["corrected"]["p_value"] > pair["optimistic"]["p_value"]
    assert details["A"]["fold_val_accuracy"] == scores["A"]
    headline = metrics["comparisons"]["A_vs_B"]
    assert headline["low"] < headline["difference"] < headline["high"]
    assert headline["p"] == f"{pair['corrected']['p_value']:.2e}"


def l2_errors(val_loss: float) -> dict:
    return {
        "val_loss": [val_loss, val_loss + 0.002],
        "val_accuracy": [0.01, 0.01],
        "accuracy": [0.02, 0.02],
        "epochs_run": [3, 3],
    }


def test_the_l2_fit_names_the_closest_candidate_its_margin_and_the_grid_edge():
    metrics, details = summary.l2_fit_study(
        {0.001: l2_errors(0.10), 0.002: l2_errors(0.04), 0.005: l2_errors(0.07)}, 0.001
    )
    assert metrics["best_factor"] == 0.002 and metrics["best_at_grid_edge"] is False
    # Mean errors 0.041 (0.002) and 0.071 (0.005): a margin of 0.030 over the runner-up.
    assert metrics["margin_over_runner_up"] == pytest.approx(0.03)
    assert details["runner_up_factor"] == 0.005
    assert details["best_clearly_better_than_default"] is True
    edge, _ = summary.l2_fit_study({0.001: l2_errors(0.10), 0.01: l2_errors(0.04)}, 0.01)
    assert edge["best_at_grid_edge"] is True


def test_the_curve_errors_compare_each_seed_with_the_notebook():
    notebook = [
        {"epoch": epoch, "accuracy": 0.96, "val_accuracy": 0.985, "val_loss": 0.15}
        for epoch in (1, 2, 3)
    ]
    shifted = [[{**row, "val_loss": 0.14 - shift} for row in notebook] for shift in (0, 0.002)]
    errors = summary.curve_errors(shifted, notebook)
    assert errors["val_loss"] == pytest.approx([0.01, 0.012])
    assert errors["epochs_run"] == [3, 3]


def study_files():
    _, seeds = summary.seed_study(RECORDS, NOTEBOOK, SETTINGS)
    _, crossval = summary.crossval_study(
        {"A": [0.985, 0.984], "B": [0.989, 0.990]}, n_test=30000, n_train=30000, confidence=0.95
    )
    _, l2_fit = summary.l2_fit_study({0.001: l2_errors(0.1), 0.002: l2_errors(0.2)}, 0.001)
    return seeds, crossval, l2_fit


def test_the_report_says_the_family_the_scope_and_the_l2_margin():
    seeds, crossval, l2_fit = study_files()
    single = {"A": {"test": {"accuracy": 0.9861}}, "B": {"test": {"accuracy": 0.9899}}}
    params = load_params(REPO_ROOT / "params.yaml")
    report = render_study_report(seeds, crossval, l2_fit, single, params)
    assert "The study decides the 1 comparisons declared in params.yaml" in report
    assert "conditional on these 10,000 test images" in report
    assert "| A vs B | -0.40 pp |" in report and "| B is better |" in report
    assert "## Power: how many seeds would decide each comparison" in report
    assert "corrected resampled t-test (Nadeau and Bengio)" in report
    assert "Closest of the candidates on validation loss: 0.001, ahead of the runner-up" in report
    assert "It is at the edge of the grid" in report
    assert "Left out, because every one of our runs gave the same value" not in report


def readme_block(seeds: dict, crossval: dict, l2_fit: dict) -> str:
    """The README block of A and B, one run each at 0.9861, with the L2 fit fitted to B."""
    training = {"A": {"num_params": 101578}, "B": {"num_params": 68282}}
    one_run = {"accuracy": 0.9861, "accuracy_ci": {"low": 0.984, "high": 0.988}}
    single = {"A": {"test": one_run}, "B": {"test": one_run}}
    return results_block(training, single, seeds, crossval, 25, (l2_fit, "B"))


def test_the_readme_block_gives_the_family_with_simultaneous_intervals():
    block = readme_block(*study_files())
    rows = block.splitlines()
    seed_row = next(row for row in rows if row.startswith("| A vs B | 3 seeds"))
    assert "| -0.40 pp | [" in seed_row and seed_row.endswith("| B is better |")
    fold_row = next(row for row in rows if row.startswith("| A vs B | 2 folds"))
    assert "| -0.50 pp | [" in fold_row and "| - |" in fold_row
    assert "| A | 101,578 | 0.9861 [0.9840, 0.9880] | 0.9860 ± 0.0010 |" in block
    assert "Holm over exactly these 1" in block
    assert "Every declared comparison is decided by these runs (3 seeds per model)" in block
    assert (
        "B's L2 factor (the notebook's text cuts it off): of 2 candidates, 0.001 fits the "
        "notebook's validation loss best, and it is the declared one (at the edge of the grid)"
    ) in " ".join(rows)
    assert max(len(row) for row in rows if not row.startswith("|")) <= 100


def test_an_undecided_comparison_is_named_with_the_seeds_it_would_need():
    seeds, _, _ = study_files()
    comparison = seeds["declared"]["A_vs_B"]
    comparison.update(verdict="undecided", seeds_to_decide=7, seeds_to_decide_cautious=None)
    assert decision_line(seeds, cap=25) == (
        "Still undecided: A vs B (3 seeds now; 7 per model would decide it, more than 25 "
        "cautiously)."
    )


def test_a_task_result_becomes_a_record_with_every_field_the_summaries_read():
    history = [
        {"epoch": 1, "accuracy": 0.95, "val_accuracy": 0.97, "loss": 0.2, "val_loss": 0.1},
        {"epoch": 2, "accuracy": 0.96, "val_accuracy": 0.98, "loss": 0.1, "val_loss": 0.09},
    ]
    result = {
        "history": history,
        "test": {"accuracy": 0.9875, "correct": 79, "images": 80, "loss": 0.04},
    }
    made = summary.run_record("B", 3, result)
    assert made == {
        "model": "B",
        "seed": 3,
        "test_accuracy": 0.9875,
        "test_correct": 79,
        "test_images": 80,
        "test_loss": 0.04,
        "val_accuracy": 0.98,
        "train_accuracy": 0.96,
        "epochs_run": 2,
    }
    with_images = {**result, "test": {**result["test"], summary.IMAGES_FIELD: "1" * 79 + "0"}}
    assert summary.run_record("B", 3, with_images)[summary.IMAGES_FIELD] == "1" * 79 + "0"


def test_an_interval_end_near_zero_shows_its_side():
    assert interval_text(-0.0055, -0.0000019) == "[-0.55 pp, -1.9e-04 pp]"
    assert interval_text(-0.0055, 0.0) == "[-0.55 pp, +0.00 pp]"


def test_an_l2_winner_that_is_not_the_declared_factor_is_weighed_against_it():
    seeds, crossval, _ = study_files()
    _, l2_fit = summary.l2_fit_study(
        {0.001: l2_errors(0.1), 0.002: l2_errors(0.05), 0.003: l2_errors(0.2)}, 0.001
    )
    block = readme_block(seeds, crossval, l2_fit)
    # 0.1 - 0.05 = 0.05 lower, beyond twice the seed sd (0.0014): clearly better.
    assert (
        "of 3 candidates, 0.002 fits the notebook's validation loss best, clearly better than "
        "the declared 0.001, which should move; by how much"
    ) in " ".join(block.splitlines())
