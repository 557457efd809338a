"""The benchmark command end to end, on a few hundred synthetic images."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, run

pytestmark = pytest.mark.slow

VARIANTS = {"notebook/float32", "pipeline/float32", "pipeline/mixed_bfloat16"}


def test_benchmark_times_every_variant_and_writes_consistent_results(
    pipeline_repo: Path,
) -> None:
    shutil.copytree(
        REPO_ROOT / "benchmarks",
        pipeline_repo / "benchmarks",
        ignore=shutil.ignore_patterns("__pycache__", "out", "results.json"),
    )
    run(["dvc", "repro", "preprocess"], pipeline_repo)
    output = pipeline_repo / "results.json"
    printed = run(
        [
            "python",
            "-m",
            "benchmarks.run",
            "--models",
            "B",
            "--epochs",
            "2",
            "--repeats",
            "1",
            "--output",
            str(output),
        ],
        pipeline_repo,
    ).stdout
    results = json.loads(output.read_text())["per_epoch"]
    assert results["train_images"] == 360
    variants = results["models"]["B"]
    assert set(variants) == VARIANTS
    baseline = variants["notebook/float32"]["epoch_seconds_median"]
    for name in VARIANTS - {"notebook/float32"}:
        row = variants[name]
        assert row["epoch_seconds_median"] > 0
        assert row["images_per_second"] == pytest.approx(
            360 / row["epoch_seconds_median"], rel=0.01
        )
        assert row["speedup_vs_notebook_median"] == pytest.approx(
            baseline / row["epoch_seconds_median"], rel=0.01
        )
        assert 0 <= row["val_accuracy_median"] <= 1
        assert row["peak_rss_mb_median"] > 100
        assert f"| B | {name} |" in printed
