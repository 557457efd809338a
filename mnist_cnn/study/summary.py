"""The study's metrics from its task results (pure): seeds, folds and the L2 fit.

Every key reads naturally in `dvc metrics diff`: `<model>.test.accuracy.mean`,
`pairs.A_vs_B.test_accuracy.p_holm`, `notebook.B.test_accuracy.within_prediction_interval`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mnist_cnn.history import History
from mnist_cnn.study import stats

Result = Mapping[str, Any]

# What each run contributes to the seed study: name -> value of one holdout result.
RUN_MEASURES = {
    "test.accuracy": lambda run: run["test"]["accuracy"],
    "test.loss": lambda run: run["test"]["loss"],
    "val.accuracy": lambda run: run["history"][-1]["val_accuracy"],
    "train.accuracy": lambda run: run["history"][-1]["accuracy"],
    "epochs_run": lambda run: len(run["history"]),
}
# The notebook's single numbers, each with the measure of ours it is one draw of.
NOTEBOOK_MEASURES = {
    "test_accuracy": "test.accuracy",
    "test_loss": "test.loss",
    "val_accuracy": "val.accuracy",
    "train_accuracy": "train.accuracy",
    "epochs_run": "epochs_run",
}


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"test.accuracy": x} -> {"test": {"accuracy": x}}."""
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        *parents, leaf = dotted.split(".")
        node = nested
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return nested


def model_summary(runs: Sequence[Result], confidence: float) -> dict[str, Any]:
    """Mean, spread and intervals of every measure over one model's runs."""
    flat = {
        measure: stats.replicate_summary([value(run) for run in runs], confidence)
        for measure, value in RUN_MEASURES.items()
    }
    return {"runs": len(runs), **_nest(flat)}


def seed_study(
    runs_by_model: Mapping[str, Sequence[Result]],
    seeds: Sequence[int],
    notebook: Mapping[str, Mapping[str, float]],
    confidence: float,
) -> dict[str, Any]:
    """metrics of the seed study: per model, per pair of models, per notebook figure."""
    summaries = {name: model_summary(runs, confidence) for name, runs in runs_by_model.items()}
    accuracies = {
        name: [run["test"]["accuracy"] for run in runs] for name, runs in runs_by_model.items()
    }
    pairs = {
        key: {"test_accuracy": comparison}
        for key, comparison in stats.compare_recipes(accuracies, confidence=confidence).items()
    }
    first_run = next(iter(runs_by_model.values()))[0]
    return {
        **summaries,
        "seeds": list(seeds),
        "test_images": first_run["test"]["images"],
        "pairs": pairs,
        "notebook": notebook_fidelity(summaries, notebook),
    }


def notebook_fidelity(
    summaries: Mapping[str, Any], notebook: Mapping[str, Mapping[str, float]]
) -> dict[str, Any]:
    """For every figure the notebook printed: is it inside the spread of our runs?"""
    verdicts: dict[str, Any] = {}
    for name, figures in notebook.items():
        if name not in summaries:
            continue
        for figure, value in figures.items():
            summary = summaries[name]
            for key in NOTEBOOK_MEASURES[figure].split("."):
                summary = summary[key]
            verdicts.setdefault(name, {})[figure] = stats.fidelity(value, summary)
    return verdicts


def notebook_figures(
    reference: Mapping[str, History], printed: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    """The notebook's single numbers by model: last-epoch ones from its printed history, and
    the test results it printed (reference/notebook_results.csv)."""
    figures: dict[str, dict[str, float]] = {}
    for name, rows in reference.items():
        figures[name] = {
            "train_accuracy": rows[-1]["accuracy"],
            "val_accuracy": rows[-1]["val_accuracy"],
            "epochs_run": float(len(rows)),
        }
    for name, results in printed.items():
        figures.setdefault(name, {}).update(results)
    return figures


def per_seed_rows(runs_by_model: Mapping[str, Sequence[Result]], seeds: Sequence[int]) -> str:
    """CSV of every run's accuracies, one row per model and seed, for the strip plot."""
    lines = ["model,seed,test_accuracy,val_accuracy"]
    for name, runs in runs_by_model.items():
        for seed, run in zip(seeds, runs, strict=True):
            lines.append(
                f"{name},{seed},{run['test']['accuracy']!r},{run['history'][-1]['val_accuracy']!r}"
            )
    return "\n".join(lines) + "\n"


def crossval_study(
    scores_by_model: Mapping[str, Sequence[float]], n_test: int, n_train: int, confidence: float
) -> dict[str, Any]:
    """Per model the spread over folds; per pair the corrected resampled t-test (and, labelled
    as such, the optimistic plain paired t-test it replaces)."""
    models = {
        name: {
            "val_accuracy": stats.replicate_summary(scores, confidence),
            "fold_val_accuracy": [float(score) for score in scores],
        }
        for name, scores in scores_by_model.items()
    }
    pairs = {
        f"{first}_vs_{second}": {
            "corrected": stats.corrected_resampled_t_test(
                scores_by_model[first], scores_by_model[second], n_test, n_train
            ),
            "optimistic": stats.naive_paired_t_test(
                scores_by_model[first], scores_by_model[second]
            ),
        }
        for first, second in itertools.combinations(scores_by_model, 2)
    }
    folds = len(next(iter(scores_by_model.values())))
    return {
        "folds": folds,
        "train_images": n_train,
        "val_images": n_test,
        **models,
        "pairs": pairs,
    }


# The curves of the notebook's printout that the L2 factor shapes, compared epoch by epoch.
FITTED_CURVES = ("val_loss", "val_accuracy", "accuracy")


def l2_fit_study(
    histories_by_factor: Mapping[float, Sequence[History]],
    notebook: History,
    default_factor: float,
) -> dict[str, Any]:
    """Per candidate factor, each curve's root-mean-square error against the notebook's,
    mean and spread over seeds; the best factor by validation loss; whether it is clearly
    better than the declared default (mean error lower by more than twice the larger
    seed-to-seed spread of the two)."""
    candidates: dict[str, Any] = {}
    for factor, histories in histories_by_factor.items():
        errors = {
            curve: [
                stats.curve_error([row[curve] for row in history], [row[curve] for row in notebook])
                for history in histories
            ]
            for curve in FITTED_CURVES
        }
        candidates[_factor_key(factor)] = {
            "factor": factor,
            **{
                curve: {
                    "rmse_mean": float(np.mean(values)),
                    "rmse_sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                    "rmse_by_seed": values,
                }
                for curve, values in errors.items()
            },
            "epochs_run": [len(history) for history in histories],
        }
    best = min(candidates.values(), key=lambda candidate: candidate["val_loss"]["rmse_mean"])
    default = candidates[_factor_key(default_factor)]["val_loss"]
    margin = 2 * max(best["val_loss"]["rmse_sd"], default["rmse_sd"])
    return {
        "candidates": candidates,
        "default_factor": default_factor,
        "best_factor": best["factor"],
        "best_clearly_better_than_default": bool(
            default["rmse_mean"] - best["val_loss"]["rmse_mean"] > margin
        ),
    }


def _factor_key(factor: float) -> str:
    """`0.002` -> `l2_0.002`: a metrics key that stays one key (no dot split in DVC)."""
    return f"l2_{factor!r}".replace(".", "_")


def mean_curves(histories: Sequence[History]) -> History:
    """Epoch-wise means over the epochs every history has."""
    common = min(len(history) for history in histories)
    return [
        {
            "epoch": epoch + 1,
            **{
                curve: float(np.mean([history[epoch][curve] for history in histories]))
                for curve in FITTED_CURVES
            },
        }
        for epoch in range(common)
    ]
