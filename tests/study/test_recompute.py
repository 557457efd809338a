"""Every number of the study's metrics comes from the committed run records alone.

At tiny scale (tests/study/tiny_study.py): each training part of the study runs as its stage
does, in a fresh process (TensorFlow takes its thread count only before its runtime starts, and
another test may have started it in this one); then the local task cache is deleted and the part
runs again here with training forbidden; its metrics must come out byte-identical, read from
study/runs/<part>/ and nothing else.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from mnist_cnn.pipeline import study
from mnist_cnn.study import headline
from tests.helpers import run_stage
from tests.study.tiny_study import prepared_study

pytestmark = pytest.mark.slow


def no_training(spec: Any, shared: Any, threads: int) -> dict[str, Any]:
    raise AssertionError(f"trained {spec.job.name} although its record is committed")


@pytest.mark.parametrize("part", ["seeds", "crossval", "l2_fit"])
def test_the_metrics_are_recomputed_from_the_committed_records(tmp_path, monkeypatch, part):
    layout, params = prepared_study(tmp_path, "in_process")
    trained = run_stage(layout.root, "stages.study", part)
    assert trained.returncode == 0, trained.stderr
    metrics = headline.read_headline(layout.study_metrics(part))
    assert metrics
    assert list(layout.study_runs(part).glob("*.json"))

    shutil.rmtree(layout.root / params.runtime.study_cache_dir)
    shutil.rmtree(layout.study_metrics(part))
    monkeypatch.setattr(study, "train_task", no_training)
    study.PARTS_OF_THE_STUDY[part](layout, params)
    assert headline.read_headline(layout.study_metrics(part)) == metrics
