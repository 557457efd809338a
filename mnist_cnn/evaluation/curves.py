"""The training curves as PNG pictures (pure: histories in, PNG bytes out).

Per model: training vs validation accuracy and loss (the notebook's two panels); for all
models together: validation accuracy per epoch.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mnist_cnn.evaluation.figures import png_bytes
from mnist_cnn.history import History

DPI = 100


def _column(history: History, name: str) -> list[float]:
    return [row[name] for row in history]


def _label_epochs(axes: Axes) -> None:
    axes.set_xlabel("epoch")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)


def _draw_pair(axes: Axes, history: History, metric: str) -> None:
    epochs = _column(history, "epoch")
    axes.plot(epochs, _column(history, metric), marker="o", label=f"training {metric}")
    axes.plot(epochs, _column(history, f"val_{metric}"), marker="o", label=f"validation {metric}")
    _label_epochs(axes)
    axes.set_ylabel(metric)
    axes.legend()


def model_curves(name: str, history: History) -> bytes:
    """One model: training vs validation accuracy (left) and loss (right), as a PNG."""
    figure = Figure(figsize=(10, 4), dpi=DPI, layout="constrained")
    accuracy_axes, loss_axes = figure.subplots(1, 2)
    _draw_pair(accuracy_axes, history, "accuracy")
    _draw_pair(loss_axes, history, "loss")
    figure.suptitle(f"Model {name}: training vs validation")
    return png_bytes(figure)


def all_models_curves(histories: dict[str, History]) -> bytes:
    """Validation accuracy per epoch of every model on one chart, as a PNG."""
    figure = Figure(figsize=(7, 4.5), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    for name, history in histories.items():
        axes.plot(
            _column(history, "epoch"), _column(history, "val_accuracy"), marker="o", label=name
        )
    _label_epochs(axes)
    axes.set_ylabel("validation accuracy")
    axes.set_title("Validation accuracy of every model")
    axes.legend()
    return png_bytes(figure)


def curve_files(histories: dict[str, History]) -> dict[str, bytes]:
    """File name to PNG bytes: `model_<name>.png` per model and `every_model.png`."""
    files = {
        f"model_{name}.png": model_curves(name, history) for name, history in histories.items()
    }
    files["every_model.png"] = all_models_curves(histories)
    return files
