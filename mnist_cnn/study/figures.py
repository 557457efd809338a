"""The study's pictures (pure: numbers in, PNG bytes out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from mnist_cnn.evaluation.figures import png_bytes
from mnist_cnn.history import History

DPI = 100


def seeds_picture(
    accuracies: Mapping[str, Sequence[float]], notebook: Mapping[str, float], confidence: float
) -> bytes:
    """Every run's test accuracy per model (dots), their mean, and the notebook's one number."""
    figure = Figure(figsize=(8, 4.5), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    names = list(accuracies)
    for position, name in enumerate(names):
        values = np.asarray(accuracies[name])
        # Spread the dots sideways by run order, so equal values stay visible.
        offsets = np.linspace(-0.15, 0.15, len(values)) if len(values) > 1 else np.zeros(1)
        axes.plot(position + offsets, values, "o", color="tab:blue", alpha=0.7)
        axes.hlines(values.mean(), position - 0.25, position + 0.25, color="tab:blue")
        if name in notebook:
            axes.plot(position, notebook[name], "D", color="tab:red", markersize=8)
    axes.plot([], [], "o", color="tab:blue", label="our runs (line: mean)")
    axes.plot([], [], "D", color="tab:red", label="the notebook's one run")
    axes.set_xticks(range(len(names)), names)
    axes.set_ylabel("test accuracy")
    axes.set_title(f"Test accuracy of every run ({confidence:.0%} intervals in study/report.md)")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="lower right")
    return png_bytes(figure)


def l2_fit_picture(curves: Mapping[str, History], notebook: History, model: str) -> bytes:
    """Validation loss and accuracy per epoch: each L2 candidate's mean curve, the notebook's."""
    figure = Figure(figsize=(11, 4.2), dpi=DPI, layout="constrained")
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    for axes, curve in ((loss_axes, "val_loss"), (accuracy_axes, "val_accuracy")):
        for label, rows in curves.items():
            epochs, values = [row["epoch"] for row in rows], [row[curve] for row in rows]
            axes.plot(epochs, values, marker=".", label=label)
        axes.plot(
            [row["epoch"] for row in notebook],
            [row[curve] for row in notebook],
            "k--",
            marker="o",
            label="the notebook",
        )
        axes.set_xlabel("epoch")
        axes.set_ylabel(curve)
        axes.grid(alpha=0.3)
    loss_axes.legend()
    figure.suptitle(f"{model}: our validation curves for each L2 factor against the notebook's")
    return png_bytes(figure)
