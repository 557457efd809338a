"""The study's metrics from its task results (pure): seeds, folds and the L2 fit.

Every key reads naturally in `dvc metrics diff`: `<model>.test.accuracy.mean`,
`pairs.A_vs_B.test_accuracy.p_holm`, `notebook.B.test_accuracy.within_prediction_interval`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnist_cnn.errors import DataError
from mnist_cnn.history import History
from mnist_cnn.params import Params
from mnist_cnn.study import stats

Result = Mapping[str, Any]

# A run of the seed study as the summaries take it: a plain record. Required fields:
REQUIRED_FIELDS = ("model", "seed", "test_accuracy", "test_correct", "test_images")
# Optional: the figures the notebook also printed, compared with our spread when present.
FIGURE_FIELDS = ("test_loss", "val_accuracy", "train_accuracy", "epochs_run")
# Optional: one "0"/"1" character per test image (in the test set's order), whether the run got
# it right. With it for every run of both recipes, a comparison's interval also covers the
# draw of the test images (stats.test_image_variance); without it, it is conditional on them.
IMAGES_FIELD = "test_correct_by_image"
# The notebook's single numbers: each is one draw of the record field of the same name.
NOTEBOOK_FIGURES = ("test_accuracy", *FIGURE_FIELDS)
ACCURACY_BOUNDS = (0.0, 1.0)
# A cautious plan allows for the winner's curse and a spread estimated from few seeds: the
# true difference this much of the observed one, the true sds this many times the observed.
CAUTIOUS_EFFECT = 0.75
CAUTIOUS_SPREAD = 1.5
LOSS_BOUNDS = (0.0, math.inf)


@dataclass(frozen=True)
class SeedStudySettings:
    """What the seed study's summaries read from params (study section and the models)."""

    comparisons: tuple[tuple[str, str], ...]
    confidence: float
    equivalence_margin: float
    power: float
    max_replicates: int
    # Per model, the fewest and most epochs a run can have: (patience + 1, cap), or the cap.
    epoch_bounds: Mapping[str, tuple[float, float]]

    @classmethod
    def from_params(cls, params: Params) -> SeedStudySettings:
        study = params.study
        bounds = {
            name: (
                float(model.early_stopping.patience + 1 if model.early_stopping else model.epochs),
                float(model.epochs),
            )
            for name, model in params.models.items()
        }
        return cls(
            comparisons=tuple((first, second) for first, second in study.comparisons),
            confidence=study.confidence,
            equivalence_margin=study.equivalence_margin,
            power=study.power,
            max_replicates=study.max_replicates,
            epoch_bounds=bounds,
        )


def run_record(name: str, seed: int, result: Result) -> dict[str, Any]:
    """The record of one study task's holdout result."""
    test, last = result["test"], result["history"][-1]
    record = {
        "model": name,
        "seed": seed,
        "test_accuracy": test["accuracy"],
        "test_correct": test["correct"],
        "test_images": test["images"],
        "test_loss": test["loss"],
        "val_accuracy": last["val_accuracy"],
        "train_accuracy": last["accuracy"],
        "epochs_run": len(result["history"]),
    }
    if IMAGES_FIELD in test:
        record[IMAGES_FIELD] = test[IMAGES_FIELD]
    return record


def check_records(records: Sequence[Result]) -> None:
    """Every record has the required fields, counts that agree, and one test set for all."""
    for index, record in enumerate(records):
        missing = [field for field in REQUIRED_FIELDS if field not in record]
        if missing:
            raise DataError(f"seed study run {index}: missing {', '.join(missing)}")
        if record["test_correct"] / record["test_images"] != record["test_accuracy"]:
            raise DataError(
                f"seed study run {index} ({record['model']} seed {record['seed']}): accuracy "
                f"{record['test_accuracy']} is not {record['test_correct']}/{record['test_images']}"
            )
    if len({record["test_images"] for record in records}) > 1:
        raise DataError("seed study runs were scored on test sets of different sizes")


def _by_model(records: Sequence[Result]) -> dict[str, list[Result]]:
    grouped: dict[str, list[Result]] = {}
    for record in records:
        grouped.setdefault(record["model"], []).append(record)
    return grouped


def _bounds(figure: str, name: str, settings: SeedStudySettings) -> tuple[float, float]:
    if figure == "epochs_run":
        return settings.epoch_bounds.get(name, (1.0, math.inf))
    return LOSS_BOUNDS if figure == "test_loss" else ACCURACY_BOUNDS


def model_summaries(
    runs: Sequence[Result], name: str, settings: SeedStudySettings
) -> dict[str, Any]:
    """Mean, spread and intervals, clamped to the possible values, of every figure the runs
    carry."""
    return {
        figure: stats.replicate_summary(
            [run[figure] for run in runs], settings.confidence, _bounds(figure, name, settings)
        )
        for figure in NOTEBOOK_FIGURES
        if all(figure in run for run in runs)
    }


def _image_variance(first: Sequence[Result], second: Sequence[Result]) -> float | None:
    """The test-image variance of the difference, or None where a run lacks per-image data."""
    if not all(IMAGES_FIELD in run for run in (*first, *second)):
        return None
    return stats.test_image_variance(
        [[character == "1" for character in run[IMAGES_FIELD]] for run in first],
        [[character == "1" for character in run[IMAGES_FIELD]] for run in second],
    )


def compare(first: Sequence[Result], second: Sequence[Result], confidence: float) -> dict[str, Any]:
    """Welch's test of the test accuracies, with the test-image term where the runs allow."""
    image_variance = _image_variance(first, second)
    result = stats.welch_t_test(
        [run["test_accuracy"] for run in first],
        [run["test_accuracy"] for run in second],
        confidence,
        image_variance or 0.0,
        first[0]["test_images"],
    )
    result["ci_low"], result["ci_high"] = stats.clamped(
        result["ci_low"], result["ci_high"], (-1.0, 1.0)
    )
    return {
        **result,
        "image_variance": image_variance,
        "images": first[0]["test_images"],
        "scope": "seeds and test images" if image_variance is not None else "these test images",
    }


def _seeds_needed(
    result: Mapping[str, Any], sds: tuple[float, float], settings: SeedStudySettings, alpha: float
) -> dict[str, int | None]:
    """Seeds per model that would decide a comparison: with the observed difference and sds
    taken as true, and with the cautious allowance (CAUTIOUS_EFFECT, CAUTIOUS_SPREAD)."""
    needed = {}
    for key, effect, spread in (
        ("seeds_to_decide", 1.0, 1.0),
        ("seeds_to_decide_cautious", CAUTIOUS_EFFECT, CAUTIOUS_SPREAD),
    ):
        needed[key] = stats.seeds_to_decide(
            effect * result["difference"],
            spread * sds[0],
            spread * sds[1],
            alpha,
            settings.power,
            settings.equivalence_margin,
            settings.max_replicates,
            result["image_variance"] or 0.0,
            result["images"],
        )
    return needed


def declared_comparison(
    first: tuple[str, Sequence[Result]],
    second: tuple[str, Sequence[Result]],
    settings: SeedStudySettings,
    simultaneous: float,
) -> dict[str, Any]:
    """One declared comparison: per-pair and simultaneous intervals, verdict and power."""
    (first_name, first_runs), (second_name, second_runs) = first, second
    result = compare(first_runs, second_runs, settings.confidence)
    joint = compare(first_runs, second_runs, simultaneous)
    sds = (
        float(np.std([run["test_accuracy"] for run in first_runs], ddof=1)),
        float(np.std([run["test_accuracy"] for run in second_runs], ddof=1)),
    )
    seeds = min(len(first_runs), len(second_runs))
    alpha = 1 - simultaneous
    result.update(
        simultaneous_low=joint["ci_low"],
        simultaneous_high=joint["ci_high"],
        verdict=stats.verdict(
            first_name,
            second_name,
            joint["ci_low"],
            joint["ci_high"],
            settings.equivalence_margin,
        ),
        seeds=seeds,
        detectable_difference=stats.detectable_difference(
            *sds, seeds, alpha, settings.power, result["image_variance"] or 0.0, result["images"]
        ),
    )
    result.update(_seeds_needed(result, sds, settings, alpha))
    return result


def declared_family(
    runs: Mapping[str, Sequence[Result]], settings: SeedStudySettings
) -> dict[str, Any]:
    """The declared comparisons: Holm over exactly them, Bonferroni simultaneous intervals,
    a verdict read off the interval, and the power the runs have for each."""
    simultaneous = stats.simultaneous_confidence(settings.confidence, len(settings.comparisons))
    results = {
        f"{first}_vs_{second}": declared_comparison(
            (first, runs[first]), (second, runs[second]), settings, simultaneous
        )
        for first, second in settings.comparisons
    }
    adjusted = stats.holm_adjust([result["p_value"] for result in results.values()])
    for result, p_holm in zip(results.values(), adjusted, strict=True):
        result["p_holm"] = p_holm
    return results


def exploratory_pairs(
    runs: Mapping[str, Sequence[Result]], settings: SeedStudySettings
) -> dict[str, Any]:
    """Every pair outside the declared family: per-pair interval and raw p, no decision."""
    declared = {frozenset(pair) for pair in settings.comparisons}
    return {
        f"{first}_vs_{second}": compare(runs[first], runs[second], settings.confidence)
        for first, second in itertools.combinations(runs, 2)
        if frozenset((first, second)) not in declared
    }


def p_text(value: float) -> str:
    """A p-value for the metrics files: three significant digits that `dvc metrics diff`,
    which rounds floats to five decimals, cannot turn into 0.0."""
    return f"{value:.2e}"


def headline(summaries: Mapping[str, Any], family: Mapping[str, Any]) -> dict[str, Any]:
    """What study/metrics/seeds.json holds: what a person compares in `dvc metrics diff`."""
    return {
        "models": {
            name: {
                "test_accuracy_mean": model["test_accuracy"]["mean"],
                "test_accuracy_sd": model["test_accuracy"]["sd"],
            }
            for name, model in summaries.items()
        },
        "comparisons": {
            key: {
                "difference": result["difference"],
                "simultaneous_low": result["simultaneous_low"],
                "simultaneous_high": result["simultaneous_high"],
                "p": p_text(result["p_value"]),
                "p_holm": p_text(result["p_holm"]),
                "verdict": result["verdict"],
            }
            for key, result in family.items()
        },
    }


def seed_study(
    records: Sequence[Result],
    notebook: Mapping[str, Mapping[str, float]],
    settings: SeedStudySettings,
    restated: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metrics, details) of the seed study from its runs' records.

    `restated`: per model and figure, the n, mean, sd, min and max of a figure the records do
    not carry, from an earlier summary of the same runs (the committed study before its
    per-run files existed); its intervals are recomputed here, clamped like the others.
    """
    check_records(records)
    runs = _by_model(records)
    summaries = {
        name: model_summaries(model_runs, name, settings) for name, model_runs in runs.items()
    }
    for name, figures in (restated or {}).items():
        for figure, moments in figures.items():
            summaries[name].setdefault(
                figure,
                stats.summary_from_moments(
                    moments, settings.confidence, _bounds(figure, name, settings)
                ),
            )
    family = declared_family(runs, settings)
    details = {
        "seeds": sorted({record["seed"] for record in records}),
        "test_images": records[0]["test_images"],
        "confidence": settings.confidence,
        "simultaneous_confidence": stats.simultaneous_confidence(settings.confidence, len(family)),
        "equivalence_margin": settings.equivalence_margin,
        "power": settings.power,
        # The declared order (JSON keys are sorted): the order the report lists them in.
        "family": [f"{first}_vs_{second}" for first, second in settings.comparisons],
        "models": summaries,
        "declared": family,
        "exploratory": exploratory_pairs(runs, settings),
        "notebook": notebook_fidelity(summaries, notebook, settings),
    }
    return headline(summaries, family), details


def notebook_fidelity(
    summaries: Mapping[str, Any],
    notebook: Mapping[str, Mapping[str, float]],
    settings: SeedStudySettings,
) -> dict[str, Any]:
    """For every figure the notebook printed that our runs vary in: inside their range, inside
    the prediction interval, and inside the Bonferroni-widened one (all figures at once)?

    A figure constant across our runs (every run stopped at the cap) tests nothing and is
    listed apart, under `constant`.
    """
    tested = {
        (name, figure): value
        for name, figures in notebook.items()
        if name in summaries
        for figure, value in figures.items()
        if figure in summaries[name] and summaries[name][figure]["sd"] > 0
    }
    joint = stats.simultaneous_confidence(settings.confidence, max(1, len(tested)))
    verdicts: dict[str, Any] = {"figures": {}, "constant": {}, "tested": len(tested)}
    verdicts["joint_confidence"] = joint
    for name, figures in notebook.items():
        for figure, value in figures.items():
            summary = summaries.get(name, {}).get(figure)
            if summary is None:
                continue
            if (name, figure) not in tested:
                verdicts["constant"].setdefault(name, {})[figure] = value
                continue
            wide = stats.summary_from_moments(summary, joint, _bounds(figure, name, settings))
            verdict = {
                **stats.fidelity(value, summary),
                "joint_pi_low": wide["pi_low"],
                "joint_pi_high": wide["pi_high"],
                "within_joint_interval": bool(wide["pi_low"] <= value <= wide["pi_high"]),
            }
            verdicts["figures"].setdefault(name, {})[figure] = verdict
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


def per_seed_rows(records: Sequence[Result]) -> str:
    """CSV of every run's accuracies, one row per model and seed, for the strip plot."""
    lines = ["model,seed,test_accuracy,val_accuracy"]
    for record in records:
        lines.append(
            f"{record['model']},{record['seed']},{record['test_accuracy']!r},"
            f"{record['val_accuracy']!r}"
        )
    return "\n".join(lines) + "\n"


def records_from_rows(text: str, test_images: int) -> list[dict[str, Any]]:
    """Records from `per_seed_rows`' CSV, each run scored on `test_images` images: its test
    accuracy is a count of right answers over them, so the count is recovered exactly."""
    header, *rows = text.strip().splitlines()
    if header != "model,seed,test_accuracy,val_accuracy":
        raise DataError(f"seed rows: unexpected header {header!r}")
    records = []
    for row in rows:
        model, seed, test_accuracy, val_accuracy = row.split(",")
        records.append(
            {
                "model": model,
                "seed": int(seed),
                "test_accuracy": float(test_accuracy),
                "test_correct": round(float(test_accuracy) * test_images),
                "test_images": test_images,
                "val_accuracy": float(val_accuracy),
            }
        )
    return records


def crossval_study(
    scores_by_model: Mapping[str, Sequence[float]], n_test: int, n_train: int, confidence: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metrics, details) over folds. Details: per model the spread over folds; per pair the
    corrected resampled t-test with its interval (and, labelled as such, the optimistic plain
    paired t-test it replaces). Metrics: per model mean and sd, per pair difference, interval
    and p. Each pair is a family of its own: the fold study asks one question."""
    models: dict[str, dict[str, Any]] = {
        name: {
            "val_accuracy": stats.replicate_summary(scores, confidence, ACCURACY_BOUNDS),
            "fold_val_accuracy": [float(score) for score in scores],
        }
        for name, scores in scores_by_model.items()
    }
    pairs = {}
    for first, second in itertools.combinations(scores_by_model, 2):
        corrected = stats.corrected_resampled_t_test(
            scores_by_model[first], scores_by_model[second], n_test, n_train
        )
        interval = stats.interval_over_folds(corrected, confidence)
        corrected["ci_low"], corrected["ci_high"] = (
            (None, None) if interval is None else stats.clamped(*interval, (-1.0, 1.0))
        )
        pairs[f"{first}_vs_{second}"] = {
            "corrected": corrected,
            "optimistic": stats.naive_paired_t_test(
                scores_by_model[first], scores_by_model[second]
            ),
        }
    folds = len(next(iter(scores_by_model.values())))
    details = {
        "folds": folds,
        "train_images": n_train,
        "val_images": n_test,
        "confidence": confidence,
        **models,
        "pairs": pairs,
    }
    metrics = {
        "models": {
            name: {
                "val_accuracy_mean": model["val_accuracy"]["mean"],
                "val_accuracy_sd": model["val_accuracy"]["sd"],
            }
            for name, model in models.items()
        },
        "comparisons": {
            key: {
                "difference": pair["corrected"]["difference"],
                "low": pair["corrected"]["ci_low"],
                "high": pair["corrected"]["ci_high"],
                "p": p_text(pair["corrected"]["p_value"]),
            }
            for key, pair in pairs.items()
        },
    }
    return metrics, details


# The curves of the notebook's printout that the L2 factor shapes, compared epoch by epoch.
FITTED_CURVES = ("val_loss", "val_accuracy", "accuracy")


def curve_errors(histories: Sequence[History], notebook: History) -> dict[str, Any]:
    """Each fitted curve's root-mean-square error against the notebook's, one per seed."""
    return {
        **{
            curve: [
                stats.curve_error([row[curve] for row in history], [row[curve] for row in notebook])
                for history in histories
            ]
            for curve in FITTED_CURVES
        },
        "epochs_run": [len(history) for history in histories],
    }


def l2_fit_study(
    errors_by_factor: Mapping[float, Mapping[str, Sequence[float]]], default_factor: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metrics, details) of the L2 fit from each candidate's per-seed curve errors.

    The candidate closest to the notebook's validation loss (lowest mean error), its margin
    over the runner-up (in mean error, beside the larger seed-to-seed sd of the two), whether
    it sits at the edge of the grid (then the best factor may lie outside it), and whether it
    is clearly better than the declared default (lower by more than twice the larger sd).
    """
    candidates: dict[str, Any] = {}
    for factor, errors in errors_by_factor.items():
        candidates[_factor_key(factor)] = {
            "factor": factor,
            **{
                curve: {
                    "rmse_mean": float(np.mean(errors[curve])),
                    "rmse_sd": float(np.std(errors[curve], ddof=1))
                    if len(errors[curve]) > 1
                    else 0.0,
                    "rmse_by_seed": [float(value) for value in errors[curve]],
                }
                for curve in FITTED_CURVES
            },
            "epochs_run": list(errors["epochs_run"]),
        }
    ranked = sorted(candidates.values(), key=lambda candidate: candidate["val_loss"]["rmse_mean"])
    best = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    default = candidates[_factor_key(default_factor)]["val_loss"]
    factors = sorted(errors_by_factor)
    margin = (
        None
        if runner_up is None
        else (runner_up["val_loss"]["rmse_mean"] - best["val_loss"]["rmse_mean"])
    )
    details = {
        "candidates": candidates,
        "default_factor": default_factor,
        "best_factor": best["factor"],
        "runner_up_factor": None if runner_up is None else runner_up["factor"],
        "margin_over_runner_up": margin,
        "margin_sd": None
        if runner_up is None
        else max(best["val_loss"]["rmse_sd"], runner_up["val_loss"]["rmse_sd"]),
        "best_at_grid_edge": best["factor"] in (factors[0], factors[-1]) and len(factors) > 1,
        "seeds_per_factor": min(len(errors["val_loss"]) for errors in errors_by_factor.values()),
        "best_clearly_better_than_default": bool(
            default["rmse_mean"] - best["val_loss"]["rmse_mean"]
            > 2 * max(best["val_loss"]["rmse_sd"], default["rmse_sd"])
        ),
    }
    metrics = {
        key: details[key]
        for key in ("best_factor", "default_factor", "margin_over_runner_up", "best_at_grid_edge")
    }
    return metrics, details


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
