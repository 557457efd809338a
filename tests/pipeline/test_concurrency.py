"""Two `dvc repro` in one workspace: DVC refuses the second, the first finishes intact."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import VENV_BIN, run

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def wait_until_a_stage_runs(repo: Path, first: subprocess.Popen[str]) -> None:
    """Block until the first repro has started a stage command (its outputs are write-locked)."""
    rwlock = repo / ".dvc/tmp/rwlock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert first.poll() is None, "the first dvc repro ended before a second could start"
        if rwlock.is_file() and json.loads(rwlock.read_text() or "{}").get("write"):
            return
        time.sleep(0.05)
    raise AssertionError("the first dvc repro never started a stage")


def test_second_repro_is_refused_and_the_first_finishes_intact(pipeline_repo):
    environment = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(pipeline_repo),
        "DVC_NO_ANALYTICS": "1",
    }
    first = subprocess.Popen(
        ["dvc", "repro"],
        cwd=pipeline_repo,
        env=environment,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_until_a_stage_runs(pipeline_repo, first)

    second = run(["dvc", "repro"], pipeline_repo, check=False)
    first_output, _ = first.communicate(timeout=600)

    assert second.returncode != 0
    assert (
        "is busy, it is being blocked by:" in second.stderr
        or "Unable to acquire lock" in second.stderr
    ), second.stderr
    assert first.returncode == 0, first_output
    # The notebook pipeline only: study/dvc.yaml is a second pipeline a plain repro never runs.
    status = run(["dvc", "status", "dvc.yaml"], pipeline_repo)
    assert "Data and pipelines are up to date." in status.stdout
    evaluation = json.loads((pipeline_repo / "metrics/evaluate.json").read_text())
    declared = yaml.safe_load((pipeline_repo / "params.yaml").read_text())["models"]
    assert set(declared) <= set(evaluation)
