"""The per-epoch training history: the one reader and writer of its CSV format.

A history is a list of rows, one per finished epoch, each holding COLUMNS. Training writes it to
plots/history/<model>.csv; evaluation, the curves and the study read it back from there. The
notebook's printed numbers (reference/notebook_history.csv) have their own reader below.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mnist_cnn.errors import DataError

COLUMNS = ("epoch", "accuracy", "loss", "val_accuracy", "val_loss")
# The notebook printed no training loss for most epochs, so its reference has no `loss`.
REFERENCE_COLUMNS = ("model", "epoch", "accuracy", "val_accuracy", "val_loss")
# Columns of the reference files that hold names, not numbers.
NAME_COLUMNS = ("model", "figure")

# What both our histories and the notebook's printout have, epoch by epoch.
FIDELITY_METRICS = ("val_accuracy", "val_loss")

History = list[dict[str, float]]


def to_csv(history: History) -> str:
    """CSV text: a header, then one row per epoch; floats keep every digit (repr)."""
    frame = pd.DataFrame(history, columns=list(COLUMNS)).astype({"epoch": "int64"})
    return frame.to_csv(index=False, lineterminator="\n")


def _read_frame(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A CSV with at least `columns`, every value numeric but the names; DataError if not."""
    if not path.is_file():
        raise DataError(f"{path}: file not found; run the stage that writes it (dvc repro)")
    try:
        frame = pd.read_csv(path, float_precision="round_trip")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a readable CSV ({error})") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(f"{path}: no column {missing[0]!r}; has {', '.join(frame.columns)}")
    if frame.empty:
        raise DataError(f"{path}: no epochs recorded")
    numeric = [column for column in columns if column not in NAME_COLUMNS]
    if frame[numeric].isna().any().any() or not all(
        pd.api.types.is_numeric_dtype(frame[column]) for column in numeric
    ):
        raise DataError(f"{path}: every value of {', '.join(numeric)} must be a number")
    return frame


def _rows(frame: pd.DataFrame, columns: tuple[str, ...]) -> History:
    return [
        {
            column: int(row.epoch) if column == "epoch" else float(getattr(row, column))
            for column in columns
        }
        for row in frame.itertuples(index=False)
    ]


def read(path: Path) -> History:
    """The history a training stage wrote."""
    return _rows(_read_frame(path, COLUMNS), COLUMNS)


def read_reference(path: Path) -> dict[str, History]:
    """The notebook's per-epoch numbers, by model name."""
    frame = _read_frame(path, REFERENCE_COLUMNS)
    columns = REFERENCE_COLUMNS[1:]
    return {
        str(name): _rows(rows.sort_values("epoch"), columns)
        for name, rows in frame.groupby("model", sort=False)
    }


def beside_reference(ours: History, reference: History) -> str:
    """CSV of our validation numbers and the reference's, epoch by epoch where both have one."""
    frame = pd.DataFrame(ours)[["epoch", *FIDELITY_METRICS]].merge(
        pd.DataFrame(reference)[["epoch", *FIDELITY_METRICS]],
        on="epoch",
        suffixes=("", "_notebook"),
    )
    return frame.to_csv(index=False, lineterminator="\n")


def read_printed_results(path: Path) -> dict[str, dict[str, float]]:
    """The notebook's printed test figures (reference/notebook_results.csv), by model."""
    frame = _read_frame(path, ("model", "figure", "value"))
    results: dict[str, dict[str, float]] = {}
    for row in frame.itertuples(index=False):
        results.setdefault(str(row.model), {})[str(row.figure)] = float(row.value)
    return results
