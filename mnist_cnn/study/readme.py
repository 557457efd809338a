"""The README's results block, generated from the committed metrics: `make readme`.

The README is written by hand except between its two markers, which this module rewrites from
metrics/train/*.json, metrics/evaluate.json and the study's details (study/reports/); a test
checks that the committed README holds exactly what this would write, so no number in it is
copied by hand.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mnist_cnn import files
from mnist_cnn.cli import guarded
from mnist_cnn.errors import DataError
from mnist_cnn.evaluation.wording import p_phrase, points
from mnist_cnn.layout import Layout
from mnist_cnn.params import load_params
from mnist_cnn.study.report import (
    crossval_models,
    decision_line,
    declared,
    fold_comparison,
    interval_text,
    l2_outcome,
    miss_verb,
    scope_line,
)

BEGIN = "<!-- results: written by `make readme` from the committed metrics; do not edit -->"
END = "<!-- end of results -->"

Metrics = Mapping[str, Any]


def _one_run(test: Metrics) -> str:
    """A single run's test accuracy with its confidence interval: `0.9893 [0.9870, 0.9910]`."""
    interval = test["accuracy_ci"]
    return f"{test['accuracy']:.4f} [{interval['low']:.4f}, {interval['high']:.4f}]"


def _spread(summary: Metrics) -> str:
    return f"{summary['mean']:.4f} ± {summary['sd']:.4f}"


def family_lines(seeds: Metrics, single_run: Metrics, crossval: Metrics | None) -> list[str]:
    """The declared comparisons across seeds (and the fold question) with their simultaneous
    intervals and verdicts, worded as study/report.md words them."""
    family = declared(seeds)
    joint = f"{seeds['simultaneous_confidence']:.2%}"
    lines = wrapped(
        f"Decided: the {len(family)} comparisons declared in params.yaml (`study.comparisons`) "
        "before these runs: the notebook's questions (B over A; dropout; L2 with early "
        "stopping on top; pooling instead of Flatten). Holm over exactly these "
        f"{len(family)}; beside each its {joint} simultaneous interval (Bonferroni), which "
        "the verdict is read off: "
        "better, no difference larger than X pp (within "
        f"±{100 * seeds['equivalence_margin']:.2f} pp), or undecided. Welch's t over seeds. "
        "Other pairs (exploratory), power and the seeds each question needs: "
        "[study/report.md](study/report.md)."
    )
    lines += [
        "",
        *wrapped(scope_line(seeds, single_run)),
        "",
        f"| comparison | scope | first minus second | {joint} simultaneous | p | Holm p "
        "| verdict |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for key, result in family.items():
        lines.append(
            f"| {key.replace('_vs_', ' vs ')} | {result['seeds']} seeds | "
            f"{points(result['difference'])} "
            f"| {interval_text(result['simultaneous_low'], result['simultaneous_high'])} "
            f"| {p_phrase(result['p_value'])} | {p_phrase(result['p_holm'])} "
            f"| {result['verdict']} |"
        )
    if crossval is not None:
        names = crossval_models(crossval)
        for first, second in zip(names, names[1:], strict=False):
            said = fold_comparison(crossval, first, second)
            lines.append(
                f"| {first} vs {second} | {crossval['folds']} folds, ahead on {said['ahead']} "
                f"| {said['difference']} | {said['interval']} ({crossval['confidence']:.0%}, "
                f"corrected; one question) | {said['p']} | - | {said['verdict']} |"
            )
    return lines


def wrapped(text: str, width: int = 100) -> list[str]:
    """A generated sentence as README lines of at most `width` characters."""
    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)


def fidelity_line(seeds: Metrics) -> list[str]:
    figures = [
        verdict for model in seeds["notebook"]["figures"].values() for verdict in model.values()
    ]
    misses = sum(not verdict["within_prediction_interval"] for verdict in figures)
    chance = len(figures) * (1 - seeds["confidence"])
    return wrapped(
        f"The notebook's figures against our spread: {misses} of the {len(figures)} that vary "
        f"across our runs {miss_verb(misses)} the {seeds['confidence']:.0%} prediction interval "
        f"for one more run (about {chance:.1f} would by chance); the table, and what reading "
        "the code says about the misses, in [study/report.md](study/report.md)."
    )


def l2_line(l2_fit: Metrics, model: str) -> list[str]:
    """The L2 fit in a sentence: which candidate fits, and whether the declaration stays."""
    best, default = l2_fit["best_factor"], l2_fit["default_factor"]
    text = (
        f"{model}'s L2 factor (the notebook's text cuts it off): of {len(l2_fit['candidates'])} "
        f"candidates, {best} fits the notebook's validation loss best"
    )
    if best == default:
        text += ", and it is the declared one"
    else:
        text += f", {l2_outcome(l2_fit)}"
    if l2_fit["best_at_grid_edge"]:
        text += " (at the edge of the grid)"
    return wrapped(f"{text}; by how much: [study/report.md](study/report.md).")


def results_block(
    training: Mapping[str, Metrics],
    single_run: Metrics,
    seeds: Metrics,
    crossval: Metrics | None,
    max_replicates: int,
    l2_fit: tuple[Metrics, str] | None = None,
) -> str:
    """The block from the study's details (study/reports/*.json); `max_replicates` caps the
    seeds per model the power analysis asks for; `l2_fit` is the L2 fit's details with the
    model it fitted."""
    names = list(training)
    runs = seeds["models"][names[0]]["test_accuracy"]["n"]
    lines = [
        BEGIN,
        "",
        f"| model | params | test acc, one run [95% CI] | test acc, {runs} seeds (mean ± sd) "
        "| notebook |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in names:
        printed = seeds["notebook"]["figures"].get(name, {}).get("test_accuracy")
        shown = "-" if printed is None else f"{printed['value']:.4f}"
        lines.append(
            f"| {name} | {training[name]['num_params']:,} | {_one_run(single_run[name]['test'])} "
            f"| {_spread(seeds['models'][name]['test_accuracy'])} | {shown} |"
        )
    lines += ["", *family_lines(seeds, single_run, crossval)]
    lines += ["", *wrapped(decision_line(seeds, max_replicates))]
    if l2_fit is not None:
        lines += ["", *l2_line(*l2_fit)]
    lines += ["", *fidelity_line(seeds)]
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
        "No seed study is committed yet (`study/reports/seeds.json`):",
        "`dvc repro study/dvc.yaml:seeds`, then `make readme`.",
    ]
    return "\n".join([*lines, "", END])


def current_block(layout: Layout) -> str:
    params = load_params(layout.params_file)
    training = {name: files.read_json(layout.train_metrics(name)) for name in params.models}
    single_run = files.read_json(layout.evaluate_metrics)
    if not layout.study_details("seeds").is_file():
        return single_run_block(training, single_run)
    crossval_path, l2_path = layout.study_details("crossval"), layout.study_details("l2_fit")
    return results_block(
        training,
        single_run,
        files.read_json(layout.study_details("seeds")),
        files.read_json(crossval_path) if crossval_path.is_file() else None,
        params.study.max_replicates,
        (files.read_json(l2_path), params.study.l2_fit.model) if l2_path.is_file() else None,
    )


def main() -> None:
    layout = Layout(Path("."))
    readme = layout.root / "README.md"
    files.write_text(readme, with_block(readme.read_text(encoding="utf-8"), current_block(layout)))


if __name__ == "__main__":
    guarded(main)
    sys.exit(0)
