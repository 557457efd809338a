"""Numbers to words for report.md: every phrase is a function of metrics, none is typed in."""

from __future__ import annotations

from typing import Any

Metrics = dict[str, Any]


def percent(value: float) -> str:
    return f"{100 * value:.2f}%"


def points(value: float) -> str:
    """An accuracy difference in signed percentage points."""
    return f"{100 * value:+.2f} pp"


# Below this a double underflows to 0; the exact p-value is smaller still, not zero.
SMALLEST_P = 1e-300


def p_phrase(value: float) -> str:
    """`p = 0.026`, `p = 3.0e-06`, or `p < 1e-300` where the tail underflowed."""
    if value < SMALLEST_P:
        return f"p < {SMALLEST_P:.0e}"
    return f"p = {value:.1e}" if value < 0.001 else f"p = {value:.3f}"


def comparison_sentence(training: dict[str, Metrics], first: str, second: str) -> str:
    """Which of two models is better on the validation split, by how much."""
    first_val = training[first]["val"]["accuracy"]
    second_val = training[second]["val"]["accuracy"]
    if first_val == second_val:
        return f"{first} and {second} tie on the validation split at {percent(first_val)}."
    better, worse = (first, second) if first_val > second_val else (second, first)
    return (
        f"On the validation split, {better} ({percent(training[better]['val']['accuracy'])}) "
        f"beats {worse} ({percent(training[worse]['val']['accuracy'])}) by "
        f"{100 * abs(first_val - second_val):.2f} percentage points."
    )


def paired_sentence(first: str, second: str, pair: Metrics, significance: float) -> str:
    """One McNemar result in words; b = only `first` right, c = only `second` right."""
    only_first, only_second = pair["b"], pair["c"]
    if pair["p_value"] >= significance:
        return (
            f"{first} vs {second}: no significant difference on the test set: "
            f"{only_first} vs {only_second} discordant images, {p_phrase(pair['p_value'])}."
        )
    winner, loser = (first, second) if only_first > only_second else (second, first)
    wins, losses = max(only_first, only_second), min(only_first, only_second)
    return (
        f"{winner} beats {loser} on the test set: {wins} vs {losses} discordant images, "
        f"{p_phrase(pair['p_value'])}."
    )


def best_model_sentence(
    models: dict[str, Metrics], pairs: dict[str, Metrics], significance: float
) -> str:
    """The model with the highest test accuracy, and which others it beats significantly."""
    best = max(models, key=lambda name: models[name]["test"]["accuracy"])
    beaten: list[str] = []
    level: list[str] = []
    for name in models:
        if name == best:
            continue
        key = f"{best}_vs_{name}" if f"{best}_vs_{name}" in pairs else f"{name}_vs_{best}"
        (beaten if pairs[key]["p_value"] < significance else level).append(name)
    sentence = f"Highest test accuracy: {best} ({percent(models[best]['test']['accuracy'])}). "
    sentence += (
        f"It is significantly better than {', '.join(beaten)}"
        if beaten
        else "It is significantly better than none of the others"
    )
    sentence += f", and not significantly different from {', '.join(level)}." if level else "."
    return sentence
