"""Statistics over independent training runs: what holds beyond one run (pure).

One training run is one draw: its seed decides the initial weights and the batch order. A
conclusion about a recipe (an architecture with its training settings) therefore needs several
runs of it and statistics over runs: a summary with confidence and prediction intervals,
Welch's test between two recipes with Holm's correction across the pairs, and, for
cross-validation, the corrected resampled t-test, because folds share most of their training
images and the plain paired t-test over folds is too sure of itself.

Every result is a flat dict whose keys read naturally in `dvc metrics diff`. Where a test
statistic is undefined (no spread at all) it is None and the p-value is its limit, see
`_limit_p_value`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

# Differences and spreads below this (relative to values of order 1) are float rounding.
ROUNDING = 1e-12


def _finite_values(values: Sequence[float], what: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size < 2:
        raise ValueError(f"{what} needs at least 2 values, got {array.size}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} needs finite values, got {array.tolist()}")
    return array


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")


def _critical_t(confidence: float, df: float) -> float:
    """The two-sided critical value t_{(1+c)/2, df}."""
    return float(scipy_stats.t.ppf((1 + confidence) / 2, df))


def replicate_summary(values: Sequence[float], confidence: float = 0.95) -> dict[str, Any]:
    """Mean and spread of one recipe's runs, with two intervals that answer different questions.

    ci_low..ci_high: where the recipe's true mean lies, mean +- t * sd / sqrt(n).
    pi_low..pi_high: where one more independent run will land, mean +- t * sd * sqrt(1 + 1/n);
    a single published number is one such run, so this is the interval to compare it with.
    t is t_{(1+c)/2, n-1} and sd the sample standard deviation (ddof = 1).
    """
    _check_confidence(confidence)
    array = _finite_values(values, "a replicate summary")
    n = array.size
    mean = float(np.mean(array))
    sd = 0.0 if _without_spread(array) else float(np.std(array, ddof=1))
    critical = _critical_t(confidence, n - 1)
    ci_half_width = critical * sd / math.sqrt(n)
    pi_half_width = critical * sd * math.sqrt(1 + 1 / n)
    return {
        "n": n,
        "confidence": confidence,
        "mean": mean,
        "sd": sd,
        "ci_low": mean - ci_half_width,
        "ci_high": mean + ci_half_width,
        "pi_low": mean - pi_half_width,
        "pi_high": mean + pi_half_width,
        "min": float(np.min(array)),
        "max": float(np.max(array)),
    }


def _two_sided_p(t: float, df: float) -> float:
    return float(2 * scipy_stats.t.sf(abs(t), df))


def _without_spread(values: np.ndarray) -> bool:
    """Equal up to float rounding: 0.9 - 0.8 != 0.8 - 0.7 in binary, and np.var of three
    0.1s is 1e-34, not 0. A spread that small is arithmetic, not variation between runs."""
    return float(np.ptp(values)) <= ROUNDING * max(1.0, float(np.max(np.abs(values))))


def _limit_p_value(difference: float) -> float:
    """The p-value when nothing varies, so that t = difference / 0 is undefined.

    It is the test's limit as the spread shrinks to zero: 0 for a nonzero difference (seen,
    identically, every time) and 1 for no difference (no evidence of any), as the project's
    paired test over folds already does.
    """
    return 1.0 if abs(difference) <= ROUNDING else 0.0


def welch_t_test(
    first: Sequence[float], second: Sequence[float], confidence: float = 0.95
) -> dict[str, Any]:
    """Welch's unequal-variance t-test of mean(first) - mean(second) over independent runs.

    se = sqrt(s1^2/n1 + s2^2/n2); t = difference / se; the Welch-Satterthwaite degrees of
    freedom df = se^4 / ((s1^2/n1)^2/(n1-1) + (s2^2/n2)^2/(n2-1)); the interval is
    difference +- t_{(1+c)/2, df} * se and p = 2 * P(T_df > |t|).

    Both samples without any spread (every run of each recipe gave the same number): se = 0,
    t and df are None, the interval shrinks to the difference itself and the p-value is the
    limit described in `_limit_p_value`.
    """
    _check_confidence(confidence)
    first_runs = _finite_values(first, "Welch's test (first sample)")
    second_runs = _finite_values(second, "Welch's test (second sample)")
    difference = float(np.mean(first_runs) - np.mean(second_runs))
    first_term = float(np.var(first_runs, ddof=1)) / first_runs.size
    second_term = float(np.var(second_runs, ddof=1)) / second_runs.size
    if _without_spread(first_runs) and _without_spread(second_runs):
        return _welch_result(difference, 0.0, None, None, _limit_p_value(difference))
    standard_error = math.sqrt(first_term + second_term)
    df = standard_error**4 / (
        first_term**2 / (first_runs.size - 1) + second_term**2 / (second_runs.size - 1)
    )
    half_width = _critical_t(confidence, df) * standard_error
    t = difference / standard_error
    return _welch_result(difference, half_width, t, df, _two_sided_p(t, df))


def _welch_result(
    difference: float, half_width: float, t: float | None, df: float | None, p_value: float
) -> dict[str, Any]:
    return {
        "difference": difference,
        "ci_low": difference - half_width,
        "ci_high": difference + half_width,
        "t": t,
        "df": df,
        "p_value": p_value,
    }


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    Sorted ascending, the i-th smallest of m (i from 0) becomes (m - i) * p, then each is raised
    to at least the one before it (so the adjusted values keep the order of the raw ones) and
    capped at 1. Rejecting where the adjusted value is below alpha controls the family-wise
    error rate at alpha for any dependence between the tests.
    """
    raw = np.asarray(p_values, dtype=float)
    if raw.size and not np.all((raw >= 0) & (raw <= 1)):
        raise ValueError(f"p-values must lie in [0, 1], got {raw.tolist()}")
    order = np.argsort(raw, kind="stable")
    scaled = (raw.size - np.arange(raw.size)) * raw[order]
    adjusted_sorted = np.minimum(1.0, np.maximum.accumulate(scaled))
    adjusted = np.empty_like(raw)
    adjusted[order] = adjusted_sorted
    return [float(value) for value in adjusted]


def compare_recipes(
    runs_by_recipe: Mapping[str, Sequence[float]],
    pairs: Sequence[tuple[str, str]] | None = None,
    confidence: float = 0.95,
) -> dict[str, dict[str, Any]]:
    """Welch's test for each pair (every pair by default), keyed "A_vs_B", with `p_holm`.

    Holm's correction runs over exactly the pairs compared here: they are one family.
    """
    if pairs is None:
        pairs = list(itertools.combinations(runs_by_recipe, 2))
    unknown = sorted({name for pair in pairs for name in pair} - set(runs_by_recipe))
    if unknown:
        raise ValueError(
            f"unknown recipe {unknown[0]!r}; expected one of {', '.join(runs_by_recipe)}"
        )
    results = {
        f"{first}_vs_{second}": welch_t_test(
            runs_by_recipe[first], runs_by_recipe[second], confidence
        )
        for first, second in pairs
    }
    adjusted = holm_adjust([result["p_value"] for result in results.values()])
    for result, p_holm in zip(results.values(), adjusted, strict=True):
        result["p_holm"] = p_holm
    return results


def _fold_differences(first: Sequence[float], second: Sequence[float]) -> np.ndarray:
    first_folds = _finite_values(first, "a test over folds (first)")
    second_folds = _finite_values(second, "a test over folds (second)")
    if first_folds.shape != second_folds.shape:
        raise ValueError(
            f"a test over folds needs one score per fold for both, got "
            f"{first_folds.size} and {second_folds.size}"
        )
    return first_folds - second_folds


def _paired_over_folds(differences: np.ndarray, variance_factor: float) -> dict[str, Any]:
    """t = mean(d) / sqrt(variance_factor * s_d^2), df = k - 1, with the per-fold differences."""
    k = differences.size
    mean_difference = float(np.mean(differences))
    t: float | None = None
    if _without_spread(differences):
        p_value = _limit_p_value(mean_difference)
    else:
        variance = float(np.var(differences, ddof=1))
        t = mean_difference / math.sqrt(variance_factor * variance)
        p_value = _two_sided_p(t, k - 1)
    return {
        "folds": k,
        "difference": mean_difference,
        "fold_differences": [float(value) for value in differences],
        "folds_first_ahead": int(np.sum(differences > 0)),
        "t": t,
        "df": k - 1,
        "p_value": p_value,
    }


def corrected_resampled_t_test(
    first: Sequence[float], second: Sequence[float], n_test: int, n_train: int
) -> dict[str, Any]:
    """Nadeau and Bengio's corrected resampled t-test of two models' per-fold scores.

    Nadeau, C. and Bengio, Y. (2003). Inference for the generalization error. Machine
    Learning 52, 239-281. With d_j = first_j - second_j over k folds (or resamples), each
    trained on n_train and tested on n_test examples:

        t = mean(d) / sqrt((1/k + n_test/n_train) * s_d^2),   df = k - 1,   p = 2 P(T > |t|)

    The folds' training sets overlap, so the d_j are positively correlated and s_d^2 / k
    understates the variance of mean(d); the n_test/n_train term makes up for it. For k-fold
    cross-validation n_test/n_train = 1/(k-1).
    """
    if n_test < 1 or n_train < 1:
        raise ValueError(f"n_test and n_train must be positive, got {n_test} and {n_train}")
    differences = _fold_differences(first, second)
    return _paired_over_folds(differences, 1 / differences.size + n_test / n_train)


def interval_over_folds(test: Mapping[str, Any], confidence: float) -> tuple[float, float] | None:
    """The interval for the mean difference that a t-test over folds implies.

    The test's standard error is difference / t, so the interval is difference +- t_crit(df) *
    |difference / t|: with the corrected test's result, Nadeau and Bengio's corrected interval.
    None when the folds had no spread (t is None) or the difference is zero (the standard error
    cannot be recovered from t = 0).
    """
    _check_confidence(confidence)
    t, difference = test["t"], test["difference"]
    if t is None or t == 0:
        return None
    half_width = _critical_t(confidence, test["df"]) * abs(difference / t)
    return difference - half_width, difference + half_width


def naive_paired_t_test(first: Sequence[float], second: Sequence[float]) -> dict[str, Any]:
    """The plain paired t-test over folds, t = mean(d) / sqrt(s_d^2 / k): optimistic.

    It treats the folds as independent, which they are not (their training sets overlap), so
    its p-values are too small. Kept only to show how much the correction matters; draw
    conclusions from `corrected_resampled_t_test`.
    """
    differences = _fold_differences(first, second)
    return _paired_over_folds(differences, 1 / differences.size)


def curve_error(ours: Sequence[float], reference: Sequence[float]) -> float:
    """Root-mean-square difference of two per-epoch curves over the epochs both have.

    Element i of each curve is epoch i + 1; a shorter curve simply covers fewer epochs.
    """
    common = min(len(ours), len(reference))
    if common == 0:
        raise ValueError("the curves share no epoch: one of them is empty")
    our_values = np.asarray(ours[:common], dtype=float)
    reference_values = np.asarray(reference[:common], dtype=float)
    if not (np.all(np.isfinite(our_values)) and np.all(np.isfinite(reference_values))):
        raise ValueError("a curve holds a value that is not finite (a diverged run?)")
    return float(np.sqrt(np.mean((our_values - reference_values) ** 2)))


def fidelity(value: float, summary: Mapping[str, Any]) -> dict[str, Any]:
    """Is a published single number one our runs could have produced?

    `within_range`: inside the [min, max] of our runs. `within_prediction_interval`: inside
    the prediction interval of `summary` (from `replicate_summary`, 95% by default), the range
    one more run of ours lands in with that probability.
    """
    return {
        "value": value,
        "within_range": bool(summary["min"] <= value <= summary["max"]),
        "within_prediction_interval": bool(summary["pi_low"] <= value <= summary["pi_high"]),
    }
