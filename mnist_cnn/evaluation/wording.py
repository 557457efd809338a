"""Numbers to words for report.md: every phrase is a function of metrics, none is typed in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mnist_cnn.evaluation.stats import pair_key

Metrics = dict[str, Any]

# Below this a double underflows to 0; the exact p-value is smaller still, not zero.
SMALLEST_P = 1e-300


def percent(value: float) -> str:
    return f"{100 * value:.2f}%"


def points(value: float) -> str:
    """An accuracy difference in signed percentage points."""
    return f"{100 * value:+.2f} pp"


def p_phrase(value: float) -> str:
    """`p = 0.026`, `p = 3.0e-06`, or `p < 1e-300` where the tail underflowed."""
    if value < SMALLEST_P:
        return f"p < {SMALLEST_P:.0e}"
    return f"p = {value:.1e}" if value < 0.001 else f"p = {value:.3f}"


def ordered_pair(names: Sequence[str], one: str, other: str) -> tuple[str, str]:
    """The two names in declaration order, as metrics keys pairs."""
    return (one, other) if names.index(one) < names.index(other) else (other, one)


def validation_ranking_sentence(training: dict[str, Metrics]) -> str:
    """Every model by validation accuracy, best first: the notebook's way of choosing."""
    ranked = sorted(training, key=lambda name: -training[name]["val"]["accuracy"])
    listed = ", ".join(f"{name} {percent(training[name]['val']['accuracy'])}" for name in ranked)
    return f"On the validation split (the notebook's basis for choosing): {listed}."


# McNemar's test compares two trained networks on one fixed set of images: its scope.
PAIRED_SCOPE = "on these test images (this run of each)"


def paired_sentence(first: str, second: str, pair: Metrics, significance: float) -> str:
    """One McNemar result in words, from the counts of images only one model gets right.

    It speaks of this run's two networks on these images, not of the recipes: another seed
    trains other networks (the seed study, study/report.md, compares recipes)."""
    only_first, only_second = pair["only_first_correct"], pair["only_second_correct"]
    if pair["p_value"] >= significance:
        return (
            f"{first} vs {second}: no significant difference {PAIRED_SCOPE}: "
            f"{only_first} vs {only_second} discordant images, {p_phrase(pair['p_value'])}."
        )
    winner, loser = (first, second) if only_first > only_second else (second, first)
    wins, losses = max(only_first, only_second), min(only_first, only_second)
    return (
        f"{winner} beats {loser} {PAIRED_SCOPE}: {wins} vs {losses} discordant images, "
        f"{p_phrase(pair['p_value'])}."
    )


def best_model_sentence(
    models: dict[str, Metrics], pairs: dict[str, Metrics], significance: float
) -> str:
    """The model with the highest test accuracy in this run, and which of this run's other
    networks it beats significantly on these test images (McNemar): a claim about these
    networks, not the recipes, which the seed study (study/report.md) compares."""
    names = list(models)
    best = max(names, key=lambda name: models[name]["test"]["accuracy"])
    beaten: list[str] = []
    level: list[str] = []
    for name in names:
        if name != best:
            pair = pairs[pair_key(*ordered_pair(names, best, name))]
            (beaten if pair["p_value"] < significance else level).append(name)
    sentence = (
        f"Highest test accuracy in this run: {best} "
        f"({percent(models[best]['test']['accuracy'])}). On these test images this network is "
    )
    sentence += (
        f"significantly better than this run's {', '.join(beaten)}"
        if beaten
        else "significantly better than none of this run's others"
    )
    sentence += f", and not significantly different from {', '.join(level)}" if level else ""
    return (
        sentence + " (McNemar). Whether the recipes differ, across seeds, is the seed study's "
        "question: study/report.md."
    )


def smallest_model_sentence(training: dict[str, Metrics], models: dict[str, Metrics]) -> str:
    """What the model with the fewest parameters gives up against the best on the test set."""
    smallest = min(training, key=lambda name: training[name]["num_params"])
    best = max(models, key=lambda name: models[name]["test"]["accuracy"])
    if smallest == best:
        return f"The smallest model, {smallest}, also has the highest test accuracy."
    return (
        f"Fewest parameters: {smallest} ({training[smallest]['num_params']:,}), with "
        f"{percent(models[smallest]['test']['accuracy'])} test accuracy against "
        f"{best}'s {percent(models[best]['test']['accuracy'])} with "
        f"{training[best]['num_params']:,} parameters."
    )
