"""Run a stage the way DVC does: `python -m stages.X` in a workspace, as a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def stage_environment() -> dict[str, str]:
    """This interpreter's environment with the project importable from any working directory."""
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}


def run_stage(workspace: Path, *arguments: str,
              timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *arguments], cwd=workspace,
                          env=stage_environment(), text=True, capture_output=True,
                          timeout=timeout)


def start_stage(workspace: Path, *arguments: str) -> subprocess.Popen[str]:
    """Start a stage with stderr piped line by line, for tests that interrupt it."""
    return subprocess.Popen([sys.executable, "-m", *arguments], cwd=workspace,
                            env=stage_environment(), text=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
