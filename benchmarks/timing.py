"""What both training paths report, measured the same way, as one JSON object on a file."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from mnist_cnn.layout import Layout


class EpochClock(keras.callbacks.Callback):
    """Wall seconds of each epoch, validation included, from the moment it is created.

    Epoch e's time runs from the end of epoch e-1 to the end of epoch e, so whatever a path
    does between epochs (the pipeline calls fit once per epoch) is charged to it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.last = time.perf_counter()
        self.seconds: list[float] = []

    def tick(self) -> None:
        now = time.perf_counter()
        self.seconds.append(now - self.last)
        self.last = now

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.tick()


def load_prepared(limit: int | None) -> dict[str, np.ndarray]:
    """The prepared split (uint8 images, integer labels), cut to the first `limit` train images."""
    arrays = {}
    for part in ("train", "val"):
        with np.load(Layout(Path(".")).prepared_part(part), allow_pickle=False) as archive:
            arrays[f"{part}_images"] = archive["images"]
            arrays[f"{part}_labels"] = archive["labels"]
    if limit is not None:
        arrays["train_images"] = arrays["train_images"][:limit]
        arrays["train_labels"] = arrays["train_labels"][:limit]
    return arrays


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_report(path: Path | None, report: dict[str, Any]) -> None:
    """The run's report as JSON on `path` (written whole, then renamed) or on stdout."""
    report = {**report, "backend": keras.backend.backend(), "peak_rss_mb": peak_rss_mb()}
    text = json.dumps(report, indent=2, sort_keys=True, allow_nan=False) + "\n"
    if path is None:
        sys.stdout.write(text)
        return
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
