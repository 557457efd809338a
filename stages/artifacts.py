"""Atomic writes and small file helpers: an output is complete or absent, never truncated."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from stages.errors import DataError

# mkstemp creates files readable by the owner only; outputs get the usual umask-derived mode.
_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds.

    The temporary file keeps `target`'s suffix (Keras insists on `.keras`) and lives in the same
    folder, so the final os.replace is atomic on POSIX file systems.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}",
                                    dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    os.chmod(temporary, FILE_MODE)
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def write_json(target: Path, data: Mapping[str, Any]) -> None:
    """Sorted keys and no NaN, so DVC diffs are stable and every value is real JSON."""
    write_text(target, json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")


def write_npz(target: Path, **arrays: np.ndarray) -> None:
    with atomic_path(target) as temporary, open(temporary, "wb") as stream:
        np.savez(stream, **arrays)


def read_npz(path: Path, required: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Load every array of an .npz, refusing a missing file or a missing array by name."""
    if not Path(path).is_file():
        raise DataError(f"{path}: file not found; run the stage that produces it (dvc repro)")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    missing = [name for name in required if name not in arrays]
    if missing:
        raise DataError(f"{path}: missing array {missing[0]!r}; has {', '.join(arrays)}")
    return arrays


def read_json(path: Path) -> dict[str, Any]:
    if not Path(path).is_file():
        raise DataError(f"{path}: file not found; run the stage that produces it (dvc repro)")
    return json.loads(Path(path).read_text(encoding="utf-8"))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
