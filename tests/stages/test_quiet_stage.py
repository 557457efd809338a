"""A healthy training stage prints its progress lines and nothing from TensorFlow's logging."""

from __future__ import annotations

import re

from tests.helpers import run_stage


def test_a_healthy_training_stage_prints_only_its_progress(prepared_workspace):
    layout, _ = prepared_workspace
    result = run_stage(layout.root, "stages.train", "B")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(r"B epoch 1/1: accuracy [\d.]+ val_accuracy [\d.]+ \(\d+ s\)", lines[0])
    assert result.stdout == ""
