"""The README's results block, generated from the committed metrics: `make readme`.

The README is written by hand except between its two markers, which this module rewrites from
metrics/train/*.json, metrics/evaluate.json and study/metrics/seeds.json; a test checks that the
committed README holds exactly what this would write, so no number in it is copied by hand.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mnist_cnn import files
from mnist_cnn.cli import guarded
from mnist_cnn.errors import DataError
from mnist_cnn.evaluation.stats import model_pairs
from mnist_cnn.layout import Layout
from mnist_cnn.params import load_params
from mnist_cnn.study.report import crossval_models, fold_comparison, seed_comparison
from mnist_cnn.study.summary import NOTEBOOK_MEASURES

BEGIN = "<!-- results: written by `make readme` from the committed metrics; do not edit -->"
END = "<!-- end of results -->"

Metrics = Mapping[str, Any]


def _one_run(test: Metrics) -> str:
    """A single run's test accuracy with its confidence interval: `0.9893 [0.9870, 0.9910]`."""
    interval = test["accuracy_ci"]
    return f"{test['accuracy']:.4f} [{interval['low']:.4f}, {interval['high']:.4f}]"


def _spread(summary: Metrics) -> str:
    return f"{summary['mean']:.4f} ± {summary['sd']:.4f}"


def comparison_lines(
    names: list[str], seeds: Metrics, crossval: Metrics | None, confidence: float
) -> list[str]:
    """Each model against the one declared before it across seeds, and the cross-validated
    pairs across folds: one table row each, worded as study/report.md words them."""
    level = f"{confidence:.0%}"
    lines = [
        "How sure: each model against the one declared before it, as an architecture with its",
        f"training recipe. Over seeds: Welch's t, Holm-adjusted over all {len(seeds['pairs'])} "
        "pairs; over folds: the",
        "corrected resampled t. Every pair, and how to read a p-value, in "
        "[study/report.md](study/report.md).",
        "",
        f"| comparison | scope | first minus second [{level} CI] | p | adjusted or plain p "
        "| verdict |",
        "|---|---|---:|---:|---:|---|",
    ]
    for first, second in zip(names, names[1:], strict=False):
        said = seed_comparison(seeds, first, second)
        lines.append(
            f"| {first} vs {second} | {seeds[first]['runs']} seeds, "
            f"{seeds['test_images']:,} test images | {said['difference']} {said['interval']} "
            f"| {said['p']} | Holm {said['p_holm']} | {said['verdict']} |"
        )
    if crossval is not None:
        for first, second in model_pairs(crossval_models(crossval)):
            said = fold_comparison(crossval, first, second, confidence)
            lines.append(
                f"| {first} vs {second} | {crossval['folds']} folds, ahead on {said['ahead']} "
                f"| {said['difference']} {said['interval']} | {said['p']} "
                f"| plain t {said['p_plain']} | {said['verdict']} |"
            )
    return lines


def results_block(
    training: Mapping[str, Metrics],
    single_run: Metrics,
    seeds: Metrics,
    confidence: float,
    crossval: Metrics | None = None,
) -> str:
    names = list(training)
    runs = seeds[names[0]]["runs"]
    lines = [
        BEGIN,
        "",
        f"| model | params | test acc, one run [95% CI] | test acc, {runs} seeds (mean ± sd) "
        "| notebook |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in names:
        printed = seeds["notebook"].get(name, {}).get("test_accuracy")
        shown = "-" if printed is None else f"{printed['value']:.4f}"
        lines.append(
            f"| {name} | {training[name]['num_params']:,} | {_one_run(single_run[name]['test'])} "
            f"| {_spread(seeds[name]['test']['accuracy'])} | {shown} |"
        )
    lines += ["", *comparison_lines(names, seeds, crossval, confidence)]
    lines += [
        "",
        "Each figure the notebook printed, against our runs: inside their range, and inside the",
        f"{confidence:.0%} prediction interval for one more run of ours?",
        "",
        "| model | figure | notebook | our runs | in range | in interval |",
        "|---|---|---:|---:|---|---|",
    ]
    for name, figures in seeds["notebook"].items():
        for figure, verdict in figures.items():
            measure: Any = seeds[name]
            for key in NOTEBOOK_MEASURES[figure].split("."):
                measure = measure[key]
            digits = 1 if figure == "epochs_run" else 4
            lines.append(
                f"| {name} | {figure} | {verdict['value']:.{digits}f} "
                f"| {measure['min']:.{digits}f}-{measure['max']:.{digits}f} "
                f"| {'yes' if verdict['within_range'] else 'no'} "
                f"| {'yes' if verdict['within_prediction_interval'] else 'no'} |"
            )
    return "\n".join([*lines, "", END])


def with_block(readme: str, block: str) -> str:
    """`readme` with the text between its markers (markers included) replaced by `block`."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise DataError(f"README.md: no results markers ({BEGIN!r} ... {END!r})")
    return readme[:start] + block + readme[end + len(END) :]


def single_run_block(training: Mapping[str, Metrics], single_run: Metrics) -> str:
    """The block before the seed study has been run: the single run alone, and how to get more."""
    lines = [
        BEGIN,
        "",
        "| model | params | test acc, one run [95% CI] |",
        "|---|---:|---:|",
    ]
    for name in training:
        lines.append(
            f"| {name} | {training[name]['num_params']:,} | {_one_run(single_run[name]['test'])} |"
        )
    lines += [
        "",
        "No seed study is committed yet (`study/metrics/seeds.json`):",
        "`dvc repro study/dvc.yaml:seeds`, then `make readme`.",
    ]
    return "\n".join([*lines, "", END])


def current_block(layout: Layout) -> str:
    params = load_params(layout.params_file)
    training = {name: files.read_json(layout.train_metrics(name)) for name in params.models}
    single_run = files.read_json(layout.evaluate_metrics)
    if not layout.study_metrics("seeds").is_file():
        return single_run_block(training, single_run)
    crossval_path = layout.study_metrics("crossval")
    return results_block(
        training,
        single_run,
        files.read_json(layout.study_metrics("seeds")),
        params.study.confidence,
        files.read_json(crossval_path) if crossval_path.is_file() else None,
    )


def main() -> None:
    layout = Layout(Path("."))
    readme = layout.root / "README.md"
    files.write_text(readme, with_block(readme.read_text(encoding="utf-8"), current_block(layout)))


if __name__ == "__main__":
    guarded(main)
    sys.exit(0)
