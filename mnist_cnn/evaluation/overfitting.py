"""Overfitting as numbers and a verdict, from a model's per-epoch history and its gaps (pure).

The rule, stated once here and quoted by the report:
- the loss signature holds when the last epoch's validation loss exceeds the lowest validation
  loss by more than `val_loss_rise_tolerance` times that lowest value, while the last epoch's
  training loss is below the training loss of the epoch with the lowest validation loss;
- the gap holds when last-epoch training accuracy exceeds test accuracy by more than
  `gap_tolerance`.
Both: "overfits"; the signature alone: "starts to overfit"; the gap alone: "slightly
overfitted"; neither: "no sign of overfitting".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mnist_cnn.history import History

RULE = (
    "the loss signature holds when the last epoch's validation loss is more than "
    "{rise:.0%} above its lowest value while training loss fell since that epoch; "
    "the gap holds when last-epoch training accuracy exceeds test accuracy by more than "
    "{gap:.2f} percentage points. Both: overfits; signature only: starts to overfit; "
    "gap only: slightly overfitted; neither: no sign of overfitting."
)


def first_best(values: Sequence[float], highest: bool) -> int:
    """Index of the first best value, so a later tie does not move the best epoch."""
    best = max(values) if highest else min(values)
    return list(values).index(best)


def analyse(
    history: History,
    train_test_gap: float,
    val_loss_rise_tolerance: float,
    gap_tolerance: float,
) -> dict[str, Any]:
    """The overfitting numbers of one model and its verdict."""
    best_accuracy = first_best([row["val_accuracy"] for row in history], highest=True)
    lowest_loss = first_best([row["val_loss"] for row in history], highest=False)
    last = history[-1]
    val_loss_rise = last["val_loss"] - history[lowest_loss]["val_loss"]
    train_loss_change = last["loss"] - history[lowest_loss]["loss"]
    signature = (
        val_loss_rise > val_loss_rise_tolerance * history[lowest_loss]["val_loss"]
        and train_loss_change < 0
    )
    gap_exceeded = train_test_gap > gap_tolerance
    return {
        "best_val_accuracy_epoch": int(history[best_accuracy]["epoch"]),
        "best_val_accuracy": history[best_accuracy]["val_accuracy"],
        "lowest_val_loss_epoch": int(history[lowest_loss]["epoch"]),
        "lowest_val_loss": history[lowest_loss]["val_loss"],
        "val_loss_rise": val_loss_rise,
        "train_loss_change": train_loss_change,
        "val_loss_rose_while_train_loss_fell": signature,
        "gap_exceeds_tolerance": gap_exceeded,
        "verdict": verdict(signature, gap_exceeded),
    }


def verdict(signature: bool, gap_exceeded: bool) -> str:
    if signature and gap_exceeded:
        return "overfits"
    if signature:
        return "starts to overfit"
    if gap_exceeded:
        return "slightly overfitted"
    return "no sign of overfitting"
