"""The statistics behind the report: intervals, paired tests and per-class scores (pure).

Accuracy intervals are exact binomial (Clopper-Pearson): the test images are a sample, the
accuracy a binomial proportion, and the exact interval never covers less than its level.
Two models on the same test images are compared with McNemar's exact test, which looks only
at the images exactly one of them gets right.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats
from sklearn.metrics import precision_recall_fscore_support

INTERVAL_METHOD = "exact binomial (Clopper-Pearson)"


def clopper_pearson(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """The exact two-sided binomial interval for a proportion of `successes` out of `trials`."""
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1, got {successes}/{trials}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    tail = (1 - confidence) / 2
    low = (
        0.0
        if successes == 0
        else float(scipy_stats.beta.ppf(tail, successes, trials - successes + 1))
    )
    high = (
        1.0
        if successes == trials
        else float(scipy_stats.beta.ppf(1 - tail, successes + 1, trials - successes))
    )
    return low, high


def mcnemar_exact(only_first_correct: int, only_second_correct: int) -> float:
    """Two-sided exact McNemar p-value from the two discordant counts b and c.

    p = min(1, 2 * P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2); p = 1 when b + c = 0.
    """
    if only_first_correct < 0 or only_second_correct < 0:
        raise ValueError("discordant counts cannot be negative")
    discordant = only_first_correct + only_second_correct
    if discordant == 0:
        return 1.0
    smaller = min(only_first_correct, only_second_correct)
    return min(1.0, 2 * float(scipy_stats.binom.cdf(smaller, discordant, 0.5)))


@dataclass(frozen=True)
class PairedComparison:
    """How two models fare on the same images: b = only the first right, c = only the second."""

    both_correct: int
    only_first_correct: int
    only_second_correct: int
    both_wrong: int
    p_value: float

    def as_metrics(self) -> dict[str, float | int]:
        """The keys of metrics/evaluate.json; McNemar's b and c are the two `only_` counts."""
        return {
            "both_correct": self.both_correct,
            "only_first_correct": self.only_first_correct,
            "only_second_correct": self.only_second_correct,
            "both_wrong": self.both_wrong,
            "p_value": self.p_value,
        }


def compare_paired(first_correct: np.ndarray, second_correct: np.ndarray) -> PairedComparison:
    """McNemar's exact test on two boolean per-image correctness vectors."""
    first = np.asarray(first_correct, dtype=bool)
    second = np.asarray(second_correct, dtype=bool)
    if first.shape != second.shape:
        raise ValueError(f"correctness vectors differ in shape: {first.shape} vs {second.shape}")
    only_first = int(np.sum(first & ~second))
    only_second = int(np.sum(~first & second))
    return PairedComparison(
        both_correct=int(np.sum(first & second)),
        only_first_correct=only_first,
        only_second_correct=only_second,
        both_wrong=int(np.sum(~first & ~second)),
        p_value=mcnemar_exact(only_first, only_second),
    )


def pair_key(first: str, second: str) -> str:
    """`A_vs_B`: the metrics key of a pair, first model first in declaration order."""
    return f"{first}_vs_{second}"


def model_pairs(names: Sequence[str]) -> list[tuple[str, str]]:
    """Every unordered pair of models, in declaration order."""
    return list(itertools.combinations(names, 2))


def per_class_scores(
    labels: np.ndarray, predictions: np.ndarray, num_classes: int
) -> dict[str, dict[str, float | int]]:
    """Precision, recall, F1 and support of every class; a class never predicted scores 0."""
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predictions, labels=np.arange(num_classes), zero_division=0
    )
    return {
        str(digit): {
            "precision": float(precision[digit]),
            "recall": float(recall[digit]),
            "f1": float(f1[digit]),
            "support": int(support[digit]),
        }
        for digit in range(num_classes)
    }
