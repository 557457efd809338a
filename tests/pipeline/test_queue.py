"""A parameter sweep queued with `dvc exp run --queue` and run by `dvc queue start`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run

pytestmark = [pytest.mark.slow, pytest.mark.integration]

LEARNING_RATES = (0.002, 0.0005)
QUEUE_TIMEOUT_SECONDS = 600


def experiments(show: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The experiment revisions in `dvc exp show --json` output, baseline excluded."""
    found = []
    for baseline in show:
        for experiment in baseline.get("experiments") or []:
            found.extend(revision for revision in experiment["revs"] if revision.get("data"))
    return found


def wait_for_queue(repo: Path) -> None:
    deadline = time.monotonic() + QUEUE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        status = run(["dvc", "queue", "status"], repo).stdout
        if "Queued" not in status and "Running" not in status:
            assert "Failed" not in status, status
            return
        time.sleep(2)
    raise AssertionError(f"queue still busy after {QUEUE_TIMEOUT_SECONDS} s:\n{status}")


def test_two_queued_experiments_run_with_their_own_params_and_metrics(
    pipeline_repo: Path,
) -> None:
    # The shared stages run once here; the queued experiments then retrain only train@B.
    run(["dvc", "repro", "train@B"], pipeline_repo)
    run(["git", "add", "-A"], pipeline_repo)
    run(["git", "commit", "-qm", "baseline B"], pipeline_repo)
    for rate in LEARNING_RATES:
        run(
            [
                "dvc",
                "exp",
                "run",
                "--queue",
                "-S",
                f"train.optimizer.learning_rate={rate}",
                "train@B",
            ],
            pipeline_repo,
        )
    assert run(["dvc", "queue", "status"], pipeline_repo).stdout.count("Queued") == 2

    run(["dvc", "queue", "start", "--jobs", "1"], pipeline_repo)
    wait_for_queue(pipeline_repo)

    show = json.loads(run(["dvc", "exp", "show", "--json"], pipeline_repo).stdout)
    found = experiments(show)
    assert len(found) == 2
    rates, losses = set(), set()
    for revision in found:
        params = revision["data"]["params"]["params.yaml"]["data"]
        # The training metrics are a committed file of the experiment, not a DVC metric.
        shown = run(["git", "show", f"{revision['rev']}:metrics/train/B.json"], pipeline_repo)
        metrics = json.loads(shown.stdout)
        rates.add(params["train"]["optimizer"]["learning_rate"])
        losses.add(metrics["train"]["loss"])
        assert metrics["epochs_run"] == 1
    assert rates == set(LEARNING_RATES)
    assert len(losses) == 2
