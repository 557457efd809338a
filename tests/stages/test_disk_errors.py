"""A full disk or an unwritable folder: one line naming the output, exit 2, no partial output."""

from __future__ import annotations

import errno
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnist_cnn import files
from mnist_cnn.errors import EXIT_USER_ERROR
from mnist_cnn.pipeline import download, split, train
from tests.helpers import REPO_ROOT, command_environment, failed_in_process

FILE_SIZE_LIMIT = 100_000  # bytes; each synthetic image file is about 300 kB


def limit_file_size() -> None:
    """In the child: the kernel refuses to grow any file past FILE_SIZE_LIMIT (EFBIG).

    Python ignores SIGXFSZ, so the write fails with an OSError instead of killing the process;
    unlike chmod, this stops root too.
    """
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def test_kernel_refusing_a_write_stops_download_with_one_line_and_no_data(small_workspace):
    layout, _ = small_workspace
    result = subprocess.run(
        [sys.executable, "-m", "stages.download"],
        cwd=layout.root,
        env=command_environment(REPO_ROOT),
        text=True,
        capture_output=True,
        preexec_fn=limit_file_size,
        timeout=120,
    )
    assert result.returncode == EXIT_USER_ERROR
    assert result.stderr.splitlines()[-1] == (
        "error: File too large (data/raw/train-images-idx3-ubyte)"
    )
    assert list((layout.root / "data").iterdir()) == []


def refuse_writes_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `folder` unwritable: chmod where that binds; as root (which chmod does not stop),
    refuse creating entries in it the way the kernel would, with EACCES."""
    folder.chmod(0o555)
    if os.geteuid() != 0:
        return
    real_mkdir, real_open = os.mkdir, os.open

    def refuse(path: str | os.PathLike, real, *args, **kwargs):
        if Path(path).parent.resolve() == folder.resolve():
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", lambda path, *a, **k: refuse(path, real_mkdir, *a, **k))
    monkeypatch.setattr(os, "open", lambda path, *a, **k: refuse(path, real_open, *a, **k))


def test_read_only_data_folder_stops_download_with_one_line(small_workspace, monkeypatch, capsys):
    layout, params = small_workspace
    data = layout.raw_dir.parent
    data.mkdir()
    refuse_writes_in(data, monkeypatch)
    try:
        line = failed_in_process(lambda: download.run(layout, params), capsys)
    finally:
        data.chmod(0o755)
    assert line == f"error: Permission denied ({layout.raw_dir})"
    assert list(data.iterdir()) == []


def fail_on_call(number: int, real, error: OSError):
    """A stand-in for `real` that raises `error` on its `number`-th call (1-based)."""
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) == number:
            raise error
        return real(*args, **kwargs)

    return wrapper


def no_space() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_while_writing_the_second_split_leaves_no_data_split(
    small_workspace, monkeypatch, capsys
):
    layout, params = small_workspace
    download.run(layout, params)
    monkeypatch.setattr(
        np.lib.format, "write_array", fail_on_call(4, np.lib.format.write_array, no_space())
    )
    line = failed_in_process(lambda: split.run(layout, params), capsys)
    assert line == f"error: No space left on device ({layout.split_part('val')})"
    assert sorted(path.name for path in layout.raw_dir.parent.iterdir()) == ["raw"]


def test_disk_full_while_writing_training_metrics_leaves_no_training_output(
    prepared_workspace, monkeypatch, capsys
):
    layout, params = prepared_workspace
    real_fsync = os.fsync

    def fsync_failing_on_the_metrics(descriptor: int) -> None:
        if Path(os.readlink(f"/proc/self/fd/{descriptor}")).name.startswith(".B.json."):
            raise no_space()
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync_failing_on_the_metrics)
    assert failed_in_process(lambda: train.run(layout, params, "B"), capsys) == (
        f"error: No space left on device ({layout.train_metrics('B')})"
    )
    written = [
        path
        for folder in ("data/models", "metrics", "plots")
        for path in (layout.root / folder).rglob("*")
        if path.is_file()
    ]
    assert written == []


def test_resume_directory_kept_after_a_failed_write_resumes_without_training(
    prepared_workspace, monkeypatch, capsys
):
    """After the disk error is fixed, the rerun picks up the finished training from .resume."""
    layout, params = prepared_workspace
    monkeypatch.setattr(train, "summary_text", fail_on_call(1, train.summary_text, no_space()))
    failed_in_process(lambda: train.run(layout, params, "B"), capsys)
    monkeypatch.undo()

    train.run(layout, params, "B")

    resume_dir = layout.resume_dir(params.runtime.resume_dir, "B")
    assert capsys.readouterr().err.splitlines() == [f"B: resuming after epoch 1 from {resume_dir}"]
    assert layout.train_metrics("B").is_file()
    assert not resume_dir.exists()


def test_oserror_of_an_unrelated_path_is_reported_as_is(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "input.npz"
    assert failed_in_process(lambda: missing.read_bytes() and None, capsys) == (
        f"error: No such file or directory ({missing})"
    )


def test_too_little_free_space_for_the_output_and_dvcs_copy_stops_before_writing(
    small_workspace, monkeypatch, capsys
):
    layout, params = small_workspace
    download.run(layout, params)
    real_usage = shutil.disk_usage

    def nearly_full(path):
        usage = real_usage(path)
        return usage._replace(free=files.SPARE_BYTES + 1000)

    monkeypatch.setattr(shutil, "disk_usage", nearly_full)
    line = failed_in_process(lambda: split.run(layout, params), capsys)
    assert line.startswith("error: Not enough free space: ")
    assert "MiB needed for the output and DVC's copy in its cache" in line
    assert line.endswith(f"({layout.split_part('train')})")
    assert not layout.split_dir.exists()
