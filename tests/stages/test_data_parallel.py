"""train.data_parallel on virtual CPU devices: same arithmetic as one device, split batches."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml

from tests.helpers import run

pytestmark = pytest.mark.slow

# Two logical CPU devices for TensorFlow; they must exist before TensorFlow starts its runtime.
TENSORFLOW_WITH_VIRTUAL_CPUS = """
import sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import runpy
sys.argv = ["stages.train", "B"]
runpy.run_module("stages.train", run_name="__main__")
"""


def train_b(
    repo: Path,
    data_parallel: bool,
    backend: str,
    batch_size: int = 32,
) -> subprocess.CompletedProcess[str]:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["train"]["data_parallel"] = data_parallel
    params["train"]["batch_size"] = batch_size
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    env = {**os.environ, "PYTHONPATH": str(repo), "KERAS_BACKEND": backend}
    if backend == "jax":
        command = [sys.executable, "-m", "stages.train", "B"]
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    else:
        command = [sys.executable, "-c", TENSORFLOW_WITH_VIRTUAL_CPUS]
    return subprocess.run(command, cwd=repo, env=env, text=True, capture_output=True, check=False)


def trained_weights(repo: Path) -> list[np.ndarray]:
    model = keras.saving.load_model(repo / "data/models/B.keras", compile=False)
    return [np.asarray(weight) for weight in model.get_weights()]


def train_loss(repo: Path) -> float:
    return float(json.loads((repo / "metrics/train/B.json").read_text())["train"]["loss"])


@pytest.fixture
def prepared_repo(pipeline_repo: Path) -> Path:
    run(["dvc", "repro", "preprocess"], pipeline_repo)
    return pipeline_repo


BACKENDS = [
    "tensorflow",
    pytest.param(
        "jax",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("jax") is None, reason="jax not installed (extra: .[jax])"
        ),
    ),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_devices_train_like_one(prepared_repo: Path, backend: str) -> None:
    single = train_b(prepared_repo, data_parallel=False, backend=backend)
    assert single.returncode == 0, single.stderr
    assert "train.data_parallel" not in single.stderr
    expected = trained_weights(prepared_repo)
    expected_loss = train_loss(prepared_repo)

    parallel = train_b(prepared_repo, data_parallel=True, backend=backend)
    assert parallel.returncode == 0, parallel.stderr
    assert "splitting each batch across 2 devices" in parallel.stderr
    # The two half-batch gradients are averaged: the same updates up to summation order,
    # which Adam's normalised steps (learning rate 0.001 each) can amplify to a fraction of one.
    for got, want in zip(trained_weights(prepared_repo), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-3)
    assert train_loss(prepared_repo) == pytest.approx(expected_loss, rel=1e-2)


def test_a_batch_that_does_not_split_evenly_is_one_clear_error(prepared_repo: Path) -> None:
    result = train_b(prepared_repo, data_parallel=True, backend="tensorflow", batch_size=31)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: train.batch_size = 31 must be a multiple of the 2 devices that "
        "train.data_parallel splits it across"
    )
    assert not (prepared_repo / "data/models/B.keras").exists()
