"""The study's DVC metrics: one small file per model and per comparison, with shared keys.

`dvc metrics show` prints one row per metrics file and one column per key across all files, so
the study's headline numbers are split into files that share their keys (`mean`, `sd`;
`difference`, `low`, `high`, `p`, `p_holm`, `verdict`), and the terminal view stays a table a person
reads, one row per model or comparison. What each file holds:
- `study/metrics/seeds/<model>.json`: mean and sd of test accuracy over the replicate seeds;
- `study/metrics/seeds/<first>_vs_<second>.json`: a declared comparison, first minus second,
  with its simultaneous interval (`low`, `high`), Welch's p, Holm's p over the family and the
  verdict read off that interval (text: "B is better", "undecided", ...);
- `study/metrics/crossval/<model>.json`: mean and sd of validation accuracy over the folds;
- `study/metrics/crossval/<first>_vs_<second>.json`: the corrected fold comparison;
- `study/metrics/l2_fit/l2_factor.json`: the candidate factor closest to the notebook's curves
  on validation loss, and its margin over the runner-up.
The fold verdict, exploratory pairs and every other figure are in study/reports/ and
study/report.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mnist_cnn import files
from mnist_cnn.study.runs import json_files

# The summary's key -> the key in the headline file.
_MODEL_KEYS = {
    "seeds": {"test_accuracy_mean": "mean", "test_accuracy_sd": "sd"},
    "crossval": {"val_accuracy_mean": "mean", "val_accuracy_sd": "sd"},
}
_COMPARISON_KEYS = {
    "seeds": {
        "difference": "difference",
        "simultaneous_low": "low",
        "simultaneous_high": "high",
        "p": "p",
        "p_holm": "p_holm",
        "verdict": "verdict",
    },
    "crossval": {"difference": "difference", "low": "low", "high": "high", "p": "p"},
}


def _renamed(values: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    return {new: values[old] for old, new in keys.items()}


def headline_files(part: str, metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """File stem -> its numbers, from a part's summary metrics (`summary.*_study`)."""
    if part == "l2_fit":
        return {
            "l2_factor": {
                "factor": metrics["best_factor"],
                "margin": metrics["margin_over_runner_up"],
            }
        }
    models = {
        name: _renamed(values, _MODEL_KEYS[part]) for name, values in metrics["models"].items()
    }
    comparisons = {
        pair: _renamed(values, _COMPARISON_KEYS[part])
        for pair, values in metrics["comparisons"].items()
    }
    return {**models, **comparisons}


def write_headline(folder: Path, part: str, metrics: dict[str, Any]) -> None:
    """The part's headline files, replacing the folder whole (atomically)."""
    with files.atomic_directory(folder) as staging:
        for stem, numbers in headline_files(part, metrics).items():
            files.write_json(staging / f"{stem}.json", numbers)


def read_headline(folder: Path) -> dict[str, dict[str, Any]]:
    """File stem -> its numbers, as `write_headline` left them."""
    return {path.stem: files.read_json(path) for path in json_files(folder)}
