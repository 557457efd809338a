"""Stage `curves`: the training curves as PNG pictures, readable anywhere, offline included.

`dvc plots show` draws the CSV histories with a chart library it loads from the internet; these
PNGs are the same curves as plain images. Per model: training vs validation accuracy and loss
(the notebook's two panels); for all models together: validation accuracy per epoch. The model
list comes from params.yaml, so a newly declared model gets its pictures without code changes.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from stages import artifacts
from stages.errors import DataError, run_cli
from stages.params import load_params

HISTORY_DIR = Path("plots/history")
CURVES_DIR = Path("plots/curves")
COLUMNS = ("epoch", "accuracy", "loss", "val_accuracy", "val_loss")
# No software version or date in the PNG, so unchanged histories give byte-identical files.
PNG_METADATA = {"Software": None}
DPI = 100


def parse_history(text: str, name: str) -> dict[str, np.ndarray]:
    """The columns of a plots/history CSV; DataError names the file and what is missing."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise DataError(f"{name}: empty history file")
    header = lines[0].split(",")
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise DataError(f"{name}: no column {missing[0]!r}; has {', '.join(header)}")
    try:
        rows = np.array([[float(cell) for cell in line.split(",")] for line in lines[1:]])
    except ValueError as error:
        raise DataError(f"{name}: not a numeric history ({error})") from None
    if rows.size == 0 or rows.shape[1] != len(header):
        raise DataError(f"{name}: no complete epoch rows")
    return {column: rows[:, header.index(column)] for column in COLUMNS}


def png_bytes(figure: Figure) -> bytes:
    stream = io.BytesIO()
    FigureCanvasAgg(figure).print_png(stream, metadata=PNG_METADATA)
    return stream.getvalue()


def _label_epochs(axes: Axes) -> None:
    axes.set_xlabel("epoch")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)


def _draw_pair(axes: Axes, history: dict[str, np.ndarray], metric: str) -> None:
    axes.plot(history["epoch"], history[metric], marker="o", label=f"training {metric}")
    axes.plot(history["epoch"], history[f"val_{metric}"], marker="o", label=f"validation {metric}")
    _label_epochs(axes)
    axes.set_ylabel(metric)
    axes.legend()


def model_curves(name: str, history: dict[str, np.ndarray]) -> bytes:
    """One model: training vs validation accuracy (left) and loss (right), as a PNG."""
    figure = Figure(figsize=(10, 4), dpi=DPI, layout="constrained")
    accuracy_axes, loss_axes = figure.subplots(1, 2)
    _draw_pair(accuracy_axes, history, "accuracy")
    _draw_pair(loss_axes, history, "loss")
    figure.suptitle(f"Model {name}: training vs validation")
    return png_bytes(figure)


def all_models_curves(histories: dict[str, dict[str, np.ndarray]]) -> bytes:
    """Validation accuracy per epoch of every model on one chart, as a PNG."""
    figure = Figure(figsize=(7, 4.5), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    for name, history in histories.items():
        axes.plot(history["epoch"], history["val_accuracy"], marker="o", label=name)
    _label_epochs(axes)
    axes.set_ylabel("validation accuracy")
    axes.set_title("Validation accuracy of every model")
    axes.legend()
    return png_bytes(figure)


def curve_files(histories: dict[str, dict[str, np.ndarray]]) -> dict[str, bytes]:
    """File name to PNG bytes: `model_<name>.png` per model and `every_model.png`."""
    files = {
        f"model_{name}.png": model_curves(name, history) for name, history in histories.items()
    }
    files["every_model.png"] = all_models_curves(histories)
    return files


def main() -> None:
    params = load_params()
    histories = {}
    for name in params.models:
        path = HISTORY_DIR / f"{name}.csv"
        if not path.is_file():
            raise DataError(
                f"{path}: file not found; run its training stage (dvc repro train_{name})"
            )
        histories[name] = parse_history(path.read_text(encoding="utf-8"), str(path))
    for filename, data in curve_files(histories).items():
        artifacts.write_bytes(CURVES_DIR / filename, data)


if __name__ == "__main__":
    run_cli(main)
