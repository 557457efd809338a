"""Restate a committed study of the old format in the current one, without training.

Usage: python -m tools.restate_study REVISION

The study's summaries changed shape (headline metrics apart from detail, a declared family,
simultaneous intervals, power) after its runs were committed at REVISION. Until the study is
re-run, this rebuilds study/metrics/*.json and study/reports/*.json from what REVISION holds:
every run's test and validation accuracy (study/plots/seeds.csv), the other figures' n, mean,
sd, min and max (study/metrics/seeds.json), every fold's score (crossval.json) and every L2
candidate's per-seed curve errors (l2_fit.json). Nothing per run is invented: what the old
files do not hold (per-image correctness) stays absent, and the details say so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from mnist_cnn import files
from mnist_cnn.cli import guarded
from mnist_cnn.errors import DataError
from mnist_cnn.layout import Layout
from mnist_cnn.params import load_params
from mnist_cnn.pipeline.study import notebook_figures
from mnist_cnn.study import headline, summary

# Old seeds.json keys of the figures seeds.csv does not carry.
OLD_FIGURES = {
    "train_accuracy": ("train", "accuracy"),
    "test_loss": ("test", "loss"),
    "epochs_run": ("epochs_run",),
}
# Each part's details say they await the re-run, so that the report says it where the part
# is shown, also after another part has been re-run.
PENDING = {
    "seeds": (
        "these results are restated by the current code from the study committed at "
        "{revision}, whose files hold each run's test and validation accuracy but not which "
        "test images each run got right; every interval is therefore conditional on the test "
        "images, and the figures other than those two accuracies come from that study's "
        "per-model summaries."
    ),
    "crossval": (
        "these fold scores are the study committed at {revision}, trained by the training "
        "code of that time and restated by the current code; the folds trained by the current "
        "code are still to come."
    ),
    "l2_fit": (
        "these curve errors are the study committed at {revision}: {factors} factors with "
        "{replicates} seeds each, not the grid params.yaml declares now ({declared} factors "
        "with {declared_replicates} seeds each, study.l2_fit); that grid's trainings are "
        "still to come."
    ),
}


def committed(revision: str, path: str) -> str:
    try:
        return subprocess.run(
            ["git", "show", f"{revision}:{path}"], check=True, capture_output=True, text=True
        ).stdout
    except subprocess.CalledProcessError as error:
        raise DataError(f"git show {revision}:{path}: {error.stderr.strip()}") from None


def restated_figures(old: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for name, model in old.items():
        if not isinstance(model, dict) or "runs" not in model:
            continue
        for figure, path in OLD_FIGURES.items():
            node: Any = model
            for key in path:
                node = node[key]
            figures.setdefault(name, {})[figure] = {
                key: node[key] for key in ("n", "mean", "sd", "min", "max")
            }
    return figures


def restated(revision: str, layout: Layout) -> dict[str, tuple[dict, dict]]:
    """Per part of the study, (metrics, details) as the current code states REVISION's runs."""
    params = load_params(layout.params_file)
    old_seeds = json.loads(committed(revision, "study/metrics/seeds.json"))
    records = summary.records_from_rows(
        committed(revision, "study/plots/seeds.csv"), old_seeds["test_images"]
    )
    metrics, details = summary.seed_study(
        records,
        notebook_figures(layout),
        summary.SeedStudySettings.from_params(params),
        restated_figures(old_seeds),
    )
    details["restated_from"] = PENDING["seeds"].format(revision=revision)
    old_crossval = json.loads(committed(revision, "study/metrics/crossval.json"))
    scores = {
        name: old_crossval[name]["fold_val_accuracy"] for name in params.study.crossval.models
    }
    crossval_metrics, crossval_details = summary.crossval_study(
        scores, old_crossval["val_images"], old_crossval["train_images"], params.study.confidence
    )
    crossval_details["restated_from"] = PENDING["crossval"].format(revision=revision)
    old_l2 = json.loads(committed(revision, "study/metrics/l2_fit.json"))
    errors = {
        candidate["factor"]: {
            **{curve: candidate[curve]["rmse_by_seed"] for curve in summary.FITTED_CURVES},
            "epochs_run": candidate["epochs_run"],
        }
        for candidate in old_l2["candidates"].values()
    }
    l2_metrics, l2_details = summary.l2_fit_study(errors, old_l2["default_factor"])
    l2_details["restated_from"] = PENDING["l2_fit"].format(
        revision=revision,
        factors=len(errors),
        replicates=l2_details["seeds_per_factor"],
        declared=len(params.study.l2_fit.factors),
        declared_replicates=params.study.l2_fit.replicates,
    )
    return {
        "seeds": (metrics, details),
        "crossval": (crossval_metrics, crossval_details),
        "l2_fit": (l2_metrics, l2_details),
    }


def rerun(layout: Layout, part: str) -> bool:
    """Whether the part's committed details come from a run of the current study, which a
    restatement must never overwrite."""
    path = layout.study_details(part)
    return path.exists() and "restated_from" not in json.loads(path.read_text(encoding="utf-8"))


def main() -> None:
    if len(sys.argv) != 2:
        raise DataError("usage: python -m tools.restate_study REVISION (a git revision)")
    layout = Layout(Path("."))
    for part, (metrics, details) in restated(sys.argv[1], layout).items():
        if rerun(layout, part):
            print(f"restate_study: {part}: re-run since, left as it is")
            continue
        files.write_json(layout.study_details(part), details)
        headline.write_headline(layout.study_metrics(part), part, metrics)


if __name__ == "__main__":
    guarded(main)
    sys.exit(0)
