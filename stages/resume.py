"""Resume state of an interrupted training run: the last finished epoch, tied to its inputs.

Layout of `<resume_dir>/<model>/`: `state.json` (fingerprint, epochs done, history so far)
and the checkpoint it names (`epoch-<n>.keras`, weights and optimizer state). The checkpoint
is written before the state that names it, so a kill at any moment leaves a consistent pair.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from stages import artifacts

STATE_FILE = "state.json"


@dataclass(frozen=True)
class ResumePoint:
    model: keras.Model
    history: list[dict[str, float]]


def fingerprint(**parts: Any) -> str:
    """A digest of everything that decides the training run (params, input hashes, versions)."""

    def default(value: Any) -> Any:
        return asdict(value) if hasattr(value, "__dataclass_fields__") else str(value)

    canonical = json.dumps(parts, sort_keys=True, default=default)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def save(directory: Path, digest: str, model: keras.Model, history: list[dict[str, float]]) -> None:
    """Record a finished epoch; older checkpoints are removed only after the new state is in."""
    directory.mkdir(parents=True, exist_ok=True)
    checkpoint = directory / f"epoch-{len(history)}.keras"
    with artifacts.atomic_path(checkpoint) as temporary:
        model.save(temporary)
    artifacts.write_json(
        directory / STATE_FILE,
        {
            "fingerprint": digest,
            "checkpoint": checkpoint.name,
            "history": history,
            "non_trainable": non_trainable_state(model),
        },
    )
    for stale in directory.glob("epoch-*.keras"):
        if stale.name != checkpoint.name:
            stale.unlink(missing_ok=True)


def non_trainable_state(model: keras.Model) -> dict[str, list[Any]]:
    """Values the .keras format does not keep, dropout seed-generator counters among them.

    Without them a resumed run would draw the same dropout masks as epoch 1 again.
    """
    return {
        variable.path: np.asarray(variable.value).tolist()
        for variable in model.non_trainable_variables
    }


def restore_non_trainable(model: keras.Model, saved: dict[str, list[Any]]) -> None:
    variables = {variable.path: variable for variable in model.non_trainable_variables}
    if set(variables) != set(saved):
        raise ValueError("checkpoint variables do not match the saved state")
    for path, value in saved.items():
        variables[path].assign(np.asarray(value, dtype=variables[path].dtype))


def load(directory: Path, digest: str) -> ResumePoint | None:
    """The saved point if it belongs to this exact run; a stale or broken one is discarded."""
    state_path = directory / STATE_FILE
    if not state_path.is_file():
        clear(directory)
        return None
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
        if state.get("fingerprint") != digest:
            raise ValueError("fingerprint differs: params or data changed")
        model = keras.saving.load_model(directory / state["checkpoint"], compile=True)
        restore_non_trainable(model, state["non_trainable"])
    except (ValueError, KeyError, OSError) as error:
        print(f"discarding resume state in {directory}: {error}", file=sys.stderr)
        clear(directory)
        return None
    return ResumePoint(model=model, history=state["history"])


def clear(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
