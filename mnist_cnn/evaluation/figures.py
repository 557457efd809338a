"""Plot files of the evaluation (pure: arrays in, file contents out).

The confusion data is one row per test image (actual, predicted), the shape DVC's `confusion`
template counts. The misclassified grid is a PNG drawn with Matplotlib's Agg canvas, with its
metadata stripped so the same predictions always give the same bytes.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

GRID_COLUMNS = 10
TILE_INCHES = 1.0
# 80 pixels per digit tile: legible captions, a small file.
MISCLASSIFIED_DPI = 80
# No software version or date in the PNG, so an unchanged result gives an unchanged file.
PNG_METADATA = {"Software": None}


def png_bytes(figure: Figure, dpi: float | str = "figure") -> bytes:
    """The figure as PNG bytes that depend only on what is drawn."""
    stream = io.BytesIO()
    figure.savefig(stream, format="png", dpi=dpi, metadata=PNG_METADATA)
    return stream.getvalue()


def confusion_csv(labels: np.ndarray, predictions: np.ndarray) -> str:
    """`actual,predicted` per test image, in test-set order."""
    if labels.shape != predictions.shape:
        raise ValueError(f"labels {labels.shape} and predictions {predictions.shape} differ")
    rows = [
        f"{int(actual)},{int(predicted)}"
        for actual, predicted in zip(labels, predictions, strict=True)
    ]
    return "\n".join(["actual,predicted", *rows]) + "\n"


def misclassified_indices(labels: np.ndarray, predictions: np.ndarray, limit: int) -> np.ndarray:
    """Test-set positions of the first `limit` images the model gets wrong."""
    return np.flatnonzero(labels != predictions)[:limit]


def misclassified_grid(
    images: np.ndarray, labels: np.ndarray, predictions: np.ndarray, limit: int, title: str
) -> bytes:
    """A PNG grid of misclassified digits, each captioned with its true and predicted label."""
    wrong = misclassified_indices(labels, predictions, limit)
    total_wrong = int(np.sum(labels != predictions))
    rows = max(1, math.ceil(len(wrong) / GRID_COLUMNS))
    height = rows * TILE_INCHES + 0.8
    figure = Figure(figsize=(GRID_COLUMNS * TILE_INCHES, height))
    FigureCanvasAgg(figure)
    figure.subplots_adjust(
        left=0.01, right=0.99, bottom=0.01, top=1 - 0.7 / height, wspace=0.1, hspace=0.35
    )
    figure.suptitle(
        f"{title}: {len(wrong)} of {total_wrong} misclassified test images (true -> predicted)",
        fontsize=10,
    )
    if len(wrong) == 0:
        figure.text(0.5, 0.4, "no misclassified test images", ha="center", fontsize=12)
    axes = figure.subplots(rows, GRID_COLUMNS, squeeze=False)
    for position, axis in enumerate(axes.flat):
        axis.set_axis_off()
        if position >= len(wrong):
            continue
        index = wrong[position]
        # Nearest-neighbour pixels: the digit as the model saw it, and a PNG half the size.
        axis.imshow(
            images[index].reshape(images.shape[1], images.shape[2]),
            cmap="gray_r",
            interpolation="nearest",
            vmin=0,
            vmax=255,
        )
        axis.set_title(
            f"{int(labels[index])} -> {int(predictions[index])}", fontsize=8, color="firebrick"
        )
    return png_bytes(figure, dpi=MISCLASSIFIED_DPI)
