"""`dvc exp run -S train.engine=compiled_epoch`: a training stage on the compiled-epoch loop."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

from mnist_cnn import history
from tests.helpers import command_environment, run

pytestmark = pytest.mark.slow

EXPERIMENT = ["dvc", "exp", "run", "-S", "train.engine=compiled_epoch", "train@A"]


def run_with_backend(command: list[str], repo: Path, backend: str) -> subprocess.CompletedProcess:
    environment = {**command_environment(repo), "KERAS_BACKEND": backend}
    return subprocess.run(
        command, cwd=repo, env=environment, text=True, capture_output=True, check=False
    )


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax not installed")
def test_the_train_stage_runs_the_compiled_engine_on_jax(pipeline_repo):
    run(["dvc", "repro", "preprocess"], pipeline_repo)
    completed = run_with_backend(EXPERIMENT, pipeline_repo, "jax")
    assert completed.returncode == 0, completed.stderr[-3000:]
    rows = history.read(pipeline_repo / "plots/history/A.csv")
    metrics = json.loads((pipeline_repo / "metrics/train/A.json").read_text())
    assert metrics["epochs_run"] == len(rows) == 1
    assert 0 <= metrics["val"]["accuracy"] <= 1
    assert (pipeline_repo / "data/models/A.keras").is_file()


def test_the_compiled_engine_refuses_tensorflow_in_one_line(pipeline_repo):
    run(["dvc", "repro", "preprocess"], pipeline_repo)
    failed = run_with_backend(EXPERIMENT, pipeline_repo, "tensorflow")
    assert failed.returncode != 0
    assert (
        "error: train.engine = compiled_epoch needs the JAX backend, but Keras runs on "
        "tensorflow; set KERAS_BACKEND=jax or train.engine: keras_fit"
    ) in failed.stderr
    assert not os.path.exists(pipeline_repo / "data/models/A.keras")
