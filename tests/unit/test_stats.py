"""The statistics against cases computed by hand, not by the code under test."""

import math
from fractions import Fraction

import numpy as np
import pytest

from mnist_cnn.evaluation import stats


def exact_mcnemar_by_hand(b: int, c: int) -> float:
    """2 * P(X <= min(b, c)), X ~ Binomial(b + c, 1/2), summed in exact fractions."""
    n = b + c
    tail = Fraction(sum(math.comb(n, k) for k in range(min(b, c) + 1)), 2**n)
    return min(1.0, float(2 * tail))


def test_mcnemar_31_vs_15_matches_the_exact_binomial_sum():
    assert stats.mcnemar_exact(31, 15) == pytest.approx(exact_mcnemar_by_hand(31, 15), rel=1e-12)
    assert stats.mcnemar_exact(31, 15) == pytest.approx(0.025896, abs=1e-6)
    assert stats.mcnemar_exact(15, 31) == stats.mcnemar_exact(31, 15)


@pytest.mark.parametrize(
    "b, c, expected",
    [
        (2, 8, 112 / 1024),  # 2 * (1 + 10 + 45) / 2**10
        (0, 5, 2 / 32),  # 2 * (1/2)**5
        (5, 5, 1.0),  # a tie cannot be significant; 2 * P(X <= 5) > 1 is capped
        (0, 0, 1.0),  # no discordant images: no evidence either way
        (0, 1, 1.0),
    ],
)
def test_mcnemar_textbook_values(b, c, expected):
    assert stats.mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)


def test_mcnemar_refuses_negative_counts():
    with pytest.raises(ValueError):
        stats.mcnemar_exact(-1, 3)


def test_compare_paired_counts_the_four_cells():
    first = np.array([1, 1, 1, 0, 0, 1, 0], dtype=bool)
    second = np.array([1, 0, 0, 1, 0, 1, 0], dtype=bool)
    comparison = stats.compare_paired(first, second)
    assert (
        comparison.both_correct,
        comparison.only_first_correct,
        comparison.only_second_correct,
        comparison.both_wrong,
    ) == (2, 2, 1, 2)
    assert comparison.p_value == pytest.approx(1.0)
    metrics = comparison.as_metrics()
    assert metrics["only_first_correct"] == 2 and metrics["only_second_correct"] == 1


@pytest.mark.parametrize(
    "successes, trials, low, high",
    [
        # Closed forms at the edges: (alpha/2)**(1/n) and 1 - (alpha/2)**(1/n).
        (0, 10, 0.0, 1 - 0.025 ** (1 / 10)),
        (10, 10, 0.025 ** (1 / 10), 1.0),
        # The textbook 5 of 10 interval (e.g. Brown, Cai & DasGupta 2001): 0.1871 to 0.8129.
        (5, 10, 0.18709, 0.81291),
    ],
)
def test_clopper_pearson_known_values(successes, trials, low, high):
    interval = stats.clopper_pearson(successes, trials, 0.95)
    assert interval == pytest.approx((low, high), abs=1e-5)


def test_clopper_pearson_covers_the_true_rate_at_least_at_its_level():
    true_rate, trials = 0.99, 1000
    draws = np.random.default_rng(7).binomial(trials, true_rate, size=1000)
    intervals = [stats.clopper_pearson(int(hits), trials, 0.95) for hits in draws]
    coverage = np.mean([low <= true_rate <= high for low, high in intervals])
    # The exact interval is conservative: coverage >= 95% up to Monte Carlo error (~0.7%).
    assert coverage >= 0.94
    low, high = stats.clopper_pearson(9915, 10000, 0.95)
    assert low < 0.9915 < high and high - low < 0.004


@pytest.mark.parametrize(
    "successes, trials, confidence", [(11, 10, 0.95), (1, 0, 0.95), (5, 10, 1.0)]
)
def test_clopper_pearson_refuses_impossible_input(successes, trials, confidence):
    with pytest.raises(ValueError):
        stats.clopper_pearson(successes, trials, confidence)


def test_per_class_scores_on_a_small_case():
    labels = np.array([0, 0, 1, 1, 2, 2])
    predictions = np.array([0, 1, 1, 1, 2, 0])
    scores = stats.per_class_scores(labels, predictions, num_classes=3)
    # class 0: predicted at rows 0 and 5, right once -> precision 1/2; recall 1/2.
    assert scores["0"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    # class 1: predicted 3 times, right twice -> precision 2/3, recall 1, F1 0.8.
    assert scores["1"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )


def test_model_pairs_lists_every_pair_once_in_order():
    assert stats.model_pairs(["A", "B", "C"]) == [("A", "B"), ("A", "C"), ("B", "C")]
    assert stats.pair_key("B", "B_adj") == "B_vs_B_adj"
