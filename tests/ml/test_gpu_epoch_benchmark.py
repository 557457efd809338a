"""benchmarks/gpu_epoch.py at --tiny scale on JAX's CPU backend: every part runs and renders."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT, declared_models

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax not installed"),
]


def benchmark(*arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.gpu_epoch", *arguments],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_tiny_run_measures_every_part_and_renders_its_page(tmp_path):
    measured = benchmark("--out", str(tmp_path), "--tiny", "--deadline-seconds", "3600")
    assert measured.returncode == 0, measured.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_epoch.json").read_text())
    parts = {part["part"]: part for part in report["parts"]}
    assert list(parts) == [
        "engines",
        "seeds x1",
        "seeds x2",
        *(f"study {name}" for name in declared_models()),
    ]
    for engine in ("keras_fit", "compiled_epoch"):
        # Two epochs: the first left out, the second measured.
        assert len(parts["engines"][engine]["epoch_seconds"]) == 2
        assert parts["engines"][engine]["per_epoch_seconds"] > 0
    assert parts["seeds x2"]["per_epoch_seconds"] > 0
    for name in declared_models():
        study = parts[f"study {name}"]
        assert study["seeds"] == 2 and all(1 <= epochs <= 2 for epochs in study["epochs_run"])
        assert all(0 <= accuracy <= 1 for accuracy in study["test_accuracy"])

    rendered = benchmark("--render", str(tmp_path / "gpu_epoch.json"))
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    page = (tmp_path / "gpu_epoch.md").read_text()
    assert "## B: Keras fit against compiled epochs, 2 epochs" in page
    assert "| compiled_epoch |" in page and "| 2 |" in page
    assert f"{2 * len(declared_models())} trainings in" in page
    assert "--tiny" in page


def test_it_asks_for_an_output_folder_in_one_line():
    refused = benchmark()
    assert refused.returncode != 0
    assert "--out is required unless --render is given" in refused.stderr
