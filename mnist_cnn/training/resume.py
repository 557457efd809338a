"""Resume state of an interrupted training run: its last finished epochs, tied to their inputs.

Layout of `<resume_dir>/<model>/`: a marker file saying the folder is this project's resume
state, and for each of the last KEPT_EPOCHS finished epochs a checkpoint `epoch-<n>.keras`
(weights and optimizer state) with its record `epoch-<n>.json` (fingerprint, history so far,
values the .keras format does not keep). The checkpoint is written before its record, so a
kill at any moment leaves complete pairs. A record or checkpoint that fails to load is skipped
with a warning and the epoch before it is tried; nothing outside such a folder is ever deleted.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from mnist_cnn import files
from mnist_cnn.errors import DataError
from mnist_cnn.history import History
from mnist_cnn.models import load_model_file
from mnist_cnn.training.loop import Trained, epoch_row

MARKER = ".mnist-cnn-resume"
MARKER_TEXT = "Resume state of mnist_cnn training; deleted when the training finishes.\n"
# Two, so that a checkpoint damaged on disk still leaves the epoch before it to resume from.
KEPT_EPOCHS = 2
_RECORD = re.compile(r"^epoch-(\d+)\.json$")
_OWN_FILE = re.compile(r"^epoch-\d+\.(json|keras)$")


def fingerprint(**parts: Any) -> str:
    """A digest of everything that decides the training run (params, input hashes, versions)."""

    def default(value: Any) -> Any:
        return asdict(value) if is_dataclass(value) and not isinstance(value, type) else str(value)

    canonical = json.dumps(parts, sort_keys=True, default=default)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def non_trainable_state(model: keras.Model) -> dict[str, list[Any]]:
    """Values the .keras format does not keep, dropout seed-generator counters among them.

    Without them a resumed run would draw the same dropout masks as epoch 1 again.
    """
    return {
        variable.path: np.asarray(variable.value).tolist()
        for variable in model.non_trainable_variables
    }


def restore_non_trainable(model: keras.Model, saved: dict[str, list[Any]]) -> None:
    # Matched by order, which the architecture fixes, not by path: paths hold layer names that
    # Keras numbers per process, and a checkpoint that failed to load just before this one
    # has already used some of those numbers.
    variables = model.non_trainable_variables
    if not isinstance(saved, dict) or len(variables) != len(saved):
        raise ValueError("checkpoint variables do not match the saved state")
    for variable, value in zip(variables, saved.values(), strict=True):
        variable.assign(np.asarray(value, dtype=variable.dtype))


class ResumeState:
    """The resume folder of one model's training run, identified by the run's fingerprint."""

    def __init__(self, directory: Path, digest: str) -> None:
        self.directory = directory
        self.digest = digest
        self.history: History = []

    def _check_owned(self) -> None:
        """Refuse to touch a folder the project did not create (a typo'd resume_dir, say)."""
        if not self.directory.exists() or (self.directory / MARKER).is_file():
            return
        if not self.directory.is_dir() or any(self.directory.iterdir()):
            raise DataError(
                f"{self.directory} exists but is not resume state of this project (no {MARKER}); "
                "move it away or set runtime.resume_dir to another folder"
            )

    def _records(self) -> list[tuple[int, Path]]:
        found = [
            (int(match.group(1)), path)
            for path in self.directory.glob("epoch-*.json")
            if (match := _RECORD.match(path.name))
        ]
        return sorted(found, reverse=True)

    def _load_epoch(self, record_path: Path) -> Trained:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError("the record is not a JSON object")
        if record.get("fingerprint") != self.digest:
            raise ValueError("fingerprint differs: params or data changed")
        model = load_model_file(record_path.with_suffix(".keras"), compile=True)
        restore_non_trainable(model, record["non_trainable"])
        history = [dict(row) for row in record["history"]]
        return Trained(model=model, history=history)

    def load(self) -> Trained | None:
        """The latest saved epoch that loads and belongs to this exact run, else None."""
        self._check_owned()
        for _, record_path in self._records():
            try:
                trained = self._load_epoch(record_path)
            except (DataError, ValueError, KeyError, TypeError, OSError) as error:
                reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                print(f"discarding resume state {record_path}: {reason}", file=sys.stderr)
                continue
            print(
                f"{trained.model.name}: resuming after epoch {len(trained.history)} "
                f"from {self.directory}",
                file=sys.stderr,
            )
            self.history = list(trained.history)
            return trained
        self.clear()
        return None

    def save(self, model: keras.Model) -> None:
        """Record the epoch just finished; epochs older than the last KEPT_EPOCHS are removed."""
        self.directory.mkdir(parents=True, exist_ok=True)
        files.write_text(self.directory / MARKER, MARKER_TEXT)
        epoch = len(self.history)
        checkpoint = self.directory / f"epoch-{epoch}.keras"
        with files.atomic_path(checkpoint) as temporary:
            model.save(temporary)
        files.write_json(
            checkpoint.with_suffix(".json"),
            {
                "fingerprint": self.digest,
                "history": self.history,
                "non_trainable": non_trainable_state(model),
            },
        )
        for stale in self.directory.glob("epoch-*"):
            number = re.match(r"^epoch-(\d+)\.", stale.name)
            if number and int(number.group(1)) <= epoch - KEPT_EPOCHS:
                stale.unlink(missing_ok=True)

    def clear(self) -> None:
        """Delete the project's own files in the folder, then the folder if nothing else is left."""
        self._check_owned()
        if not self.directory.is_dir():
            return
        for path in self.directory.iterdir():
            if path.name == MARKER or _OWN_FILE.match(path.name):
                path.unlink(missing_ok=True)
        files.remove_stale_temporaries_in(self.directory)
        if not any(self.directory.iterdir()):
            self.directory.rmdir()

    def callback(self) -> keras.callbacks.Callback:
        """A Keras callback that saves a resume point after every finished epoch."""
        return _SaveEpochs(self)


class _SaveEpochs(keras.callbacks.Callback):
    def __init__(self, state: ResumeState) -> None:
        super().__init__()
        self.state = state

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.state.history.append(epoch_row(epoch, logs or {}))
        self.state.save(self.model)
