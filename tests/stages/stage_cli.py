"""Run a stage the way DVC does: `python -m stages.X` in a workspace, as a separate process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from stages.errors import EXIT_USER_ERROR, run_cli
from tests.conftest import REPO_ROOT


def stage_environment() -> dict[str, str]:
    """This interpreter's environment with the project importable from any working directory."""
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}


def failed_in_process(main: Callable[[], None], capsys: pytest.CaptureFixture[str]) -> str:
    """Run a stage's main() in this process as its command line does (so monkeypatches apply);
    it must exit with the user-error status. Returns its last line on stderr."""
    with pytest.raises(SystemExit) as raised:
        run_cli(main)
    assert raised.value.code == EXIT_USER_ERROR
    return capsys.readouterr().err.splitlines()[-1]


def run_stage(
    workspace: Path, *arguments: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *arguments],
        cwd=workspace,
        env=stage_environment(),
        text=True,
        capture_output=True,
        timeout=timeout,
    )


def start_stage(workspace: Path, *arguments: str) -> subprocess.Popen[str]:
    """Start a stage with stderr piped line by line, for tests that interrupt it."""
    return subprocess.Popen(
        [sys.executable, "-m", *arguments],
        cwd=workspace,
        env=stage_environment(),
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


# TensorFlow's C++ start-up log (absl format, printed before Python code runs) cannot be
# silenced from Python in TF 2.21; it is not the stage's output, so checks of the stage's
# own stderr skip it.
_TENSORFLOW_STARTUP = re.compile(
    r"^([IWE]\d{4} [\d:.]+ +\d+ \S+:\d+\] |WARNING: All log messages before absl::InitializeLog)"
)


def stage_lines(stderr: str) -> list[str]:
    """The stage's own stderr lines, without TensorFlow's C++ start-up log."""
    return [
        line for line in stderr.strip().splitlines() if line and not _TENSORFLOW_STARTUP.match(line)
    ]
