"""Atomic writes and small file helpers: an output is complete or absent, never truncated."""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mnist_cnn.errors import DataError

# mkstemp creates files readable by the owner only; outputs get the usual umask-derived mode.
_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK
# The earliest date a zip member can carry: any fixed date makes .npz bytes repeatable.
NPZ_MEMBER_DATE = (1980, 1, 1, 0, 0, 0)


def _temporary_prefix(target: Path) -> str:
    """Temporaries are hidden, name their target and the writing process: `.<name>.<pid>.`."""
    return f".{target.name}.{os.getpid()}."


def _process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# `.<name>.<pid>.<random>.tmp...` or `.old`: what atomic_path and atomic_directory leave behind
# when their process is killed between creating and renaming.
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.(tmp|old)")


def _remove_if_abandoned(entry: Path) -> None:
    match = _TEMPORARY.match(entry.name)
    if match is None or _process_is_alive(int(match.group("pid"))):
        return
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def remove_stale_temporaries(target: Path) -> None:
    """Delete temporaries of `target` left by writers that were killed (their process is gone).

    A live writer's temporary is left alone, so two processes never delete each other's work.
    """
    for entry in target.parent.glob(f".{glob.escape(target.name)}.*"):
        match = _TEMPORARY.match(entry.name)
        if match and match["name"] == target.name:
            _remove_if_abandoned(entry)


def remove_stale_temporaries_in(folder: Path) -> None:
    """Delete every abandoned temporary directly inside `folder`."""
    if folder.is_dir():
        for entry in folder.glob(".*"):
            _remove_if_abandoned(entry)


@contextlib.contextmanager
def _errors_name(target: Path) -> Iterator[None]:
    """A disk error while writing names the output (data/split/val.npz), not its temporary."""
    prefix = str(target.parent / _temporary_prefix(target))
    try:
        yield
    except OSError as error:
        written = str(error.filename or prefix)
        if error.errno is None or not written.startswith(prefix):
            raise
        _, slash, inside = written.removeprefix(prefix).partition("/")
        named = str(target / inside) if slash else str(target)
        raise type(error)(error.errno, error.strerror, named) from error


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds.

    The temporary file keeps `target`'s suffix (Keras insists on `.keras`) and lives in the same
    folder, so the final os.replace is atomic on POSIX file systems. Temporaries of earlier
    writers that were killed are removed first.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    with _errors_name(target):
        handle, name = tempfile.mkstemp(
            prefix=_temporary_prefix(target), suffix=f".tmp{target.suffix}", dir=target.parent
        )
        os.close(handle)
        temporary = Path(name)
        try:
            os.chmod(temporary, FILE_MODE)
            yield temporary
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside `target`; it becomes `target` only on success.

    A failure anywhere in the block leaves the old `target` (or none) untouched. The swap is
    two renames; a kill between them leaves no `target` at all, never a mix of old and new.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    with _errors_name(target):
        temporary = Path(
            tempfile.mkdtemp(prefix=_temporary_prefix(target), suffix=".tmp", dir=target.parent)
        )
        previous = temporary.with_suffix(".old")
        try:
            os.chmod(temporary, 0o777 & ~_UMASK)
            yield temporary
            if target.exists():
                os.replace(target, previous)
            os.replace(temporary, target)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
            shutil.rmtree(previous, ignore_errors=True)


@contextlib.contextmanager
def all_or_nothing(*targets: Path) -> Iterator[None]:
    """Outputs that belong together: if the block fails, none of `targets` is left behind.

    Each write is atomic on its own; this also removes those already renamed into place, so a
    stage that fails while writing its third output does not leave the first two behind.
    """
    try:
        yield
    except BaseException:
        for target in targets:
            Path(target).unlink(missing_ok=True)
        raise


# A cached DVC output is stored twice on a default setup: in the workspace and, copied, in
# .dvc/cache on the same disk. DVC stops with exit 255 when its copy finds the disk full, but
# only after the stage ran; checking first turns that into one line before any work is lost.
COPIES_ON_DISK = 2
# Room left over for everything else the machine writes meanwhile.
SPARE_BYTES = 16 * 2**20


def ensure_free_space(target: Path, size: int) -> None:
    """OSError(ENOSPC) naming `target` unless its disk holds `size` bytes twice, with room."""
    folder = Path(target).parent
    folder.mkdir(parents=True, exist_ok=True)
    needed = COPIES_ON_DISK * size + SPARE_BYTES
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise OSError(
            errno.ENOSPC,
            f"Not enough free space: {needed // 2**20} MiB needed for the output and DVC's copy "
            f"in its cache, {free // 2**20} MiB free",
            str(target),
        )


def write_bytes(target: Path, data: bytes) -> None:
    ensure_free_space(target, len(data))
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def json_text(data: Mapping[str, Any]) -> str:
    """The project's one JSON layout: sorted keys, two-space indent, no NaN, final newline."""
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"


def json_bytes(data: Mapping[str, Any]) -> bytes:
    return json_text(data).encode("utf-8")


def write_json(target: Path, data: Mapping[str, Any]) -> None:
    """Sorted keys and no NaN, so DVC diffs are stable and every value is real JSON."""
    write_text(target, json_text(data))


def write_npz(target: Path, **arrays: np.ndarray) -> None:
    """np.savez's format, but with a fixed timestamp on every member, so that the same arrays
    always give the same bytes (np.savez stamps the current time; DVC would see a new file)."""
    ensure_free_space(target, sum(np.asanyarray(array).nbytes for array in arrays.values()))
    with atomic_path(target) as temporary, zipfile.ZipFile(temporary, "w") as archive:
        for name, array in arrays.items():
            member = zipfile.ZipInfo(f"{name}.npy", date_time=NPZ_MEMBER_DATE)
            with archive.open(member, "w", force_zip64=True) as stream:
                np.lib.format.write_array(stream, np.asanyarray(array), allow_pickle=False)


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
    """A JSON object from `path`; DataError if the file is missing, not JSON or not an object."""
    if not Path(path).is_file():
        raise DataError(f"{path}: file not found; run the stage that produces it (dvc repro)")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
