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


def replicate_summary(
    values: Sequence[float],
    confidence: float = 0.95,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> dict[str, Any]:
    """Mean and spread of one recipe's runs, with two intervals that answer different questions.

    ci_low..ci_high: where the recipe's true mean lies, mean +- t * sd / sqrt(n).
    pi_low..pi_high: where one more independent run will land, mean +- t * sd * sqrt(1 + 1/n);
    a single published number is one such run, so this is the interval to compare it with.
    t is t_{(1+c)/2, n-1} and sd the sample standard deviation (ddof = 1). Both intervals are
    clamped to `bounds`, the values that can occur (accuracies in [0, 1]; epochs between the
    earliest early stop and the cap): the t interval knows nothing of them.
    """
    _check_confidence(confidence)
    array = _finite_values(values, "a replicate summary")
    sd = 0.0 if _without_spread(array) else float(np.std(array, ddof=1))
    moments = {
        "n": int(array.size),
        "mean": float(np.mean(array)),
        "sd": sd,
        "min": float(np.min(array)),
        "max": float(np.max(array)),
    }
    return summary_from_moments(moments, confidence, bounds)


def summary_from_moments(
    moments: Mapping[str, float],
    confidence: float,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> dict[str, Any]:
    """`replicate_summary`'s intervals from n, mean, sd, min and max alone."""
    _check_confidence(confidence)
    n, mean, sd = int(moments["n"]), float(moments["mean"]), float(moments["sd"])
    if n < 2:
        raise ValueError(f"a replicate summary needs at least 2 values, got {n}")
    critical = _critical_t(confidence, n - 1)
    ci_half_width = critical * sd / math.sqrt(n)
    pi_half_width = critical * sd * math.sqrt(1 + 1 / n)
    ci_low, ci_high = clamped(mean - ci_half_width, mean + ci_half_width, bounds)
    pi_low, pi_high = clamped(mean - pi_half_width, mean + pi_half_width, bounds)
    return {
        "n": n,
        "confidence": confidence,
        "mean": mean,
        "sd": sd,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "pi_low": pi_low,
        "pi_high": pi_high,
        "min": float(moments["min"]),
        "max": float(moments["max"]),
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
    first: Sequence[float],
    second: Sequence[float],
    confidence: float = 0.95,
    image_variance: float = 0.0,
    images: int | None = None,
) -> dict[str, Any]:
    """Welch's unequal-variance t-test of mean(first) - mean(second) over independent runs.

    se = sqrt(s1^2/n1 + s2^2/n2); t = difference / se; the Welch-Satterthwaite degrees of
    freedom df = se^4 / ((s1^2/n1)^2/(n1-1) + (s2^2/n2)^2/(n2-1)); the interval is
    difference +- t_{(1+c)/2, df} * se and p = 2 * P(T_df > |t|).

    Without `image_variance` every run was scored on the same test images, so the result is
    conditional on them. With it (`test_image_variance`, estimated from `images` test images)
    the variance that comes from which test images were drawn is added to se^2 as a third
    term, with images - 1 degrees of freedom in the Satterthwaite sum: the interval then
    speaks of the recipes on new images of the same kind.

    Both samples without any spread (every run of each recipe gave the same number) and no
    image term: se = 0, t and df are None, the interval shrinks to the difference itself and
    the p-value is the limit described in `_limit_p_value`.
    """
    _check_confidence(confidence)
    first_runs = _finite_values(first, "Welch's test (first sample)")
    second_runs = _finite_values(second, "Welch's test (second sample)")
    if image_variance < 0 or (image_variance > 0 and (images is None or images < 2)):
        raise ValueError(
            f"image_variance must be >= 0 and come with images >= 2, got {image_variance} "
            f"and {images}"
        )
    difference = float(np.mean(first_runs) - np.mean(second_runs))
    first_term = 0.0 if _without_spread(first_runs) else float(np.var(first_runs, ddof=1))
    second_term = 0.0 if _without_spread(second_runs) else float(np.var(second_runs, ddof=1))
    terms = [
        (first_term / first_runs.size, first_runs.size - 1),
        (second_term / second_runs.size, second_runs.size - 1),
        (image_variance, (images or 2) - 1),
    ]
    variance = sum(term for term, _ in terms)
    if variance <= 0:
        return _welch_result(difference, 0.0, None, None, _limit_p_value(difference), 0.0)
    standard_error = math.sqrt(variance)
    df = variance**2 / sum(term**2 / dof for term, dof in terms if term > 0)
    half_width = _critical_t(confidence, df) * standard_error
    t = difference / standard_error
    return _welch_result(difference, half_width, t, df, _two_sided_p(t, df), standard_error)


def _welch_result(
    difference: float,
    half_width: float,
    t: float | None,
    df: float | None,
    p_value: float,
    standard_error: float,
) -> dict[str, Any]:
    return {
        "difference": difference,
        "standard_error": standard_error,
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


def test_image_variance(
    first_correct: Sequence[Sequence[bool]], second_correct: Sequence[Sequence[bool]]
) -> float:
    """The variance that the draw of the test images adds to a difference in mean accuracy.

    Each run of a recipe is scored on the same N test images; row r of `first_correct` says,
    image by image, whether run r got it right. A new set of N images of the same kind would
    move the difference of the two recipes' mean accuracies by the spread of its per-image
    terms d_i = q_i - r_i (q_i, r_i: the share of each recipe's runs that got image i right):
    Var = Var_i(true d_i) / N. The observed d_i also carry each image's seed-to-seed noise,
    which the runs' own spread already counts, so its expected share is taken out:

        Var = (s_d^2 - mean_i(v_i / n1 + w_i / n2)) / N,   floored at 0,

    with s_d^2 the sample variance of the d_i over images and v_i = q_i (1 - q_i) n1 / (n1 - 1)
    (w_i alike) the unbiased per-image variance over runs. This is the clustered variance of a
    mean over items answered several times (Miller, E. (2024). Adding error bars to evals:
    a statistical approach to language model evaluations. arXiv:2411.00640, sections 2-3),
    written for a difference of two recipes evaluated on the same items.
    """
    first_runs = np.asarray(first_correct, dtype=float)
    second_runs = np.asarray(second_correct, dtype=float)
    if first_runs.ndim != 2 or second_runs.ndim != 2 or first_runs.shape[1] != second_runs.shape[1]:
        raise ValueError(
            "test_image_variance needs one row per run and one column per test image, the same "
            f"images for both, got shapes {first_runs.shape} and {second_runs.shape}"
        )
    if min(first_runs.shape[0], second_runs.shape[0]) < 2 or first_runs.shape[1] < 2:
        raise ValueError("test_image_variance needs at least 2 runs of each and 2 test images")
    if not np.all(np.isin(first_runs, (0, 1))) or not np.all(np.isin(second_runs, (0, 1))):
        raise ValueError("test_image_variance needs correctness as 0/1 (or False/True) values")
    images = first_runs.shape[1]
    first_share, second_share = first_runs.mean(axis=0), second_runs.mean(axis=0)
    differences = first_share - second_share
    seed_noise = _share_variance(first_share, first_runs.shape[0]) / first_runs.shape[0]
    seed_noise += _share_variance(second_share, second_runs.shape[0]) / second_runs.shape[0]
    between_images = float(np.var(differences, ddof=1)) - float(np.mean(seed_noise))
    return max(0.0, between_images) / images


def _share_variance(share: np.ndarray, runs: int) -> np.ndarray:
    """Unbiased variance over `runs` 0/1 outcomes whose mean is `share`."""
    return share * (1 - share) * runs / (runs - 1)


def simultaneous_confidence(confidence: float, family_size: int) -> float:
    """Bonferroni: each of m intervals at 1 - (1 - c) / m, so that all m cover at once with
    probability at least c. An interval that excludes 0 at this level is exactly a
    Bonferroni-adjusted p below 1 - c, and Holm's step-down rejects at least those, so a
    "better" read off these intervals is always one Holm also makes."""
    _check_confidence(confidence)
    if family_size < 1:
        raise ValueError(f"a family needs at least one comparison, got {family_size}")
    return 1 - (1 - confidence) / family_size


def clamped(low: float, high: float, bounds: tuple[float, float]) -> tuple[float, float]:
    """An interval intersected with the values that can occur (accuracies in [0, 1])."""
    return max(low, bounds[0]), min(high, bounds[1])


def verdict(first: str, second: str, low: float, high: float, margin: float) -> str:
    """What an interval for first minus second decides, in words that cannot contradict it.

    Excludes 0: the side it lies on is better. Inside +-margin: "no difference larger than X
    pp", X the interval's farthest end rounded up to 0.01 pp. Otherwise: "undecided".
    """
    if low > 0:
        return f"{first} is better"
    if high < 0:
        return f"{second} is better"
    if max(-low, high) <= margin:
        bound = math.ceil(round(max(-low, high) * 10_000, 6)) / 100
        return f"no difference larger than {bound:.2f} pp"
    return "undecided"


def _difference_standard_error(
    first_sd: float, second_sd: float, seeds: int, image_variance: float, images: int | None
) -> tuple[float, float]:
    """se and Welch-Satterthwaite df of a difference of two means over `seeds` runs each."""
    terms = [(first_sd**2 / seeds, seeds - 1), (second_sd**2 / seeds, seeds - 1)]
    if image_variance > 0:
        terms.append((image_variance, (images or 2) - 1))
    variance = sum(term for term, _ in terms)
    if variance <= 0:
        return 0.0, math.inf
    return math.sqrt(variance), variance**2 / sum(term**2 / dof for term, dof in terms if term)


def detectable_difference(
    first_sd: float,
    second_sd: float,
    seeds: int,
    alpha: float,
    power: float,
    image_variance: float = 0.0,
    images: int | None = None,
) -> float:
    """The true difference a two-sided Welch test at level `alpha` detects with `power`.

    The usual approximation (e.g. Cohen, J. (1988). Statistical Power Analysis for the
    Behavioral Sciences, ch. 2): delta = (t_{1 - alpha/2, df} + t_{power, df}) * se, with se
    = sqrt(s1^2/n + s2^2/n [+ image variance]) and df by Welch-Satterthwaite; the exact
    noncentral-t answer is slightly larger for few degrees of freedom. For a family, pass
    alpha / m (Bonferroni), the level each comparison's simultaneous interval uses.
    """
    if seeds < 2 or not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(
            f"power needs seeds >= 2, alpha and power in (0, 1); got {seeds}, {alpha}, {power}"
        )
    standard_error, df = _difference_standard_error(
        first_sd, second_sd, seeds, image_variance, images
    )
    critical = float(scipy_stats.t.ppf(1 - alpha / 2, df))
    return (critical + float(scipy_stats.t.ppf(power, df))) * standard_error


def seeds_to_decide(
    difference: float,
    first_sd: float,
    second_sd: float,
    alpha: float,
    power: float,
    margin: float,
    most: int,
    image_variance: float = 0.0,
    images: int | None = None,
) -> int | None:
    """The fewest seeds per recipe (2..most) that would decide a comparison, or None.

    Taking the observed difference and spreads as true: decided as a difference when the
    detectable difference (at `power`) is at most |difference|; decided as "no difference
    larger than margin" when the interval expected around it, |difference| + t_{1-alpha/2}
    * se, stays within margin. The test-image variance does not shrink with more seeds, so
    where it alone is too large no number of seeds decides (None).
    """
    for seeds in range(2, most + 1):
        if detectable_difference(
            first_sd, second_sd, seeds, alpha, power, image_variance, images
        ) <= abs(difference):
            return seeds
        standard_error, df = _difference_standard_error(
            first_sd, second_sd, seeds, image_variance, images
        )
        if abs(difference) + _critical_t(1 - alpha, df) * standard_error <= margin:
            return seeds
    return None
