"""A full disk or an unwritable folder: one line naming the output, exit 2, no partial output."""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stages import split, train
from stages.errors import EXIT_USER_ERROR, run_cli
from tests.stages.stage_cli import failed_in_process, stage_environment

FILE_SIZE_LIMIT = 100_000  # bytes; each synthetic image file is about 300 kB


def limit_file_size() -> None:
    """In the child: the kernel refuses to grow any file past FILE_SIZE_LIMIT (EFBIG).

    Python ignores SIGXFSZ, so the write fails with an OSError instead of killing the process;
    unlike chmod, this stops root too.
    """
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def test_kernel_refusing_a_write_stops_download_with_one_line_and_no_data(stage_workspace):
    result = subprocess.run(
        [sys.executable, "-m", "stages.download"],
        cwd=stage_workspace,
        env=stage_environment(),
        text=True,
        capture_output=True,
        preexec_fn=limit_file_size,
        timeout=120,
    )
    assert result.returncode == EXIT_USER_ERROR
    assert result.stderr == "error: File too large (data/raw/train-images-idx3-ubyte)\n"
    assert list((stage_workspace / "data").iterdir()) == []


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


def test_read_only_data_folder_stops_download_with_one_line(stage_workspace, monkeypatch, capsys):
    from stages import download

    data = stage_workspace / "data"
    data.mkdir()
    refuse_writes_in(data, monkeypatch)
    try:
        with pytest.raises(SystemExit) as raised:
            run_cli(download.main)
    finally:
        data.chmod(0o755)
    assert raised.value.code == EXIT_USER_ERROR
    assert capsys.readouterr().err == "error: Permission denied (data/raw)\n"
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
    stage_workspace, monkeypatch, capsys
):
    from stages import download

    download.main()
    monkeypatch.setattr(
        np.lib.format, "write_array", fail_on_call(4, np.lib.format.write_array, no_space())
    )
    with pytest.raises(SystemExit) as raised:
        run_cli(split.main)
    assert raised.value.code == EXIT_USER_ERROR
    assert capsys.readouterr().err == "error: No space left on device (data/split/val.npz)\n"
    assert sorted(path.name for path in (stage_workspace / "data").iterdir()) == ["raw"]


def test_disk_full_while_writing_training_metrics_leaves_no_training_output(
    prepared_workspace, monkeypatch, capsys
):
    real_fsync = os.fsync

    def fsync_failing_on_the_metrics(descriptor: int) -> None:
        if Path(os.readlink(f"/proc/self/fd/{descriptor}")).name.startswith(".B.json."):
            raise no_space()
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync_failing_on_the_metrics)
    assert failed_in_process(lambda: train.main("B"), capsys) == (
        "error: No space left on device (metrics/train/B.json)"
    )
    written = [
        path
        for folder in ("data/models", "metrics", "plots")
        for path in (prepared_workspace / folder).rglob("*")
        if path.is_file()
    ]
    assert written == []


def test_resume_directory_kept_after_a_failed_write_resumes_without_training(
    prepared_workspace, monkeypatch, capsys
):
    """After the disk error is fixed, the rerun picks up the finished training from .resume."""
    monkeypatch.setattr(train, "summary_text", fail_on_call(1, train.summary_text, no_space()))
    with pytest.raises(SystemExit):
        run_cli(lambda: train.main("B"))
    capsys.readouterr()
    monkeypatch.undo()
    monkeypatch.chdir(prepared_workspace)

    train.main("B")

    lines = capsys.readouterr().err.splitlines()
    assert lines == ["B: resuming after epoch 1 from .resume/B"]
    assert (prepared_workspace / "metrics/train/B.json").is_file()
    assert not (prepared_workspace / ".resume/B").exists()


def test_oserror_of_an_unrelated_path_is_reported_as_is(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "input.npz"

    def read_missing() -> None:
        Path(missing).read_bytes()

    with pytest.raises(SystemExit):
        run_cli(read_missing)
    assert capsys.readouterr().err == f"error: No such file or directory ({missing})\n"
