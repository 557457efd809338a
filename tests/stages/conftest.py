"""Fixtures of the stage tests: a workspace whose data is already prepared for training."""

from __future__ import annotations

from pathlib import Path

import pytest

from stages import download, preprocess, split


@pytest.fixture
def prepared_workspace(stage_workspace: Path) -> Path:
    """The small-params workspace after the real download, split and preprocess stages."""
    for stage in (download, split, preprocess):
        stage.main()
    return stage_workspace
