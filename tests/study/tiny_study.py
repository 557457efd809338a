"""A tiny study workspace: synthetic digits, one epoch, two models, two seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mnist_cnn.layout import Layout
from mnist_cnn.params import Params
from mnist_cnn.pipeline import download, preprocess, split
from tests.helpers import load_repo_params, shrink_params, workspace
from tests.mnist_fixtures import write_idx_set

# B_adj2 carries the one L2 factor the fit varies; A is the notebook's other network.
MODELS = ("A", "B_adj2")


def tiny_study_params(mirror: Path, engine: str, models: tuple[str, ...] = MODELS) -> dict:
    raw: dict[str, Any] = shrink_params(load_repo_params(), mirror, write_idx_set(mirror))
    raw["models"] = {name: raw["models"][name] for name in models}
    raw["study"].update(replicates=2, comparisons=[list(models[:2])])
    raw["study"]["crossval"].update(folds=2, models=list(models[:2]))
    raw["study"]["l2_fit"].update(factors=[0.001, 0.002], replicates=1)
    raw["runtime"].update(study_engine=engine, study_parallel=2)
    return raw


def prepared_study(folder: Path, engine: str) -> tuple[Layout, Params]:
    """A workspace in `folder` with tiny params and its data prepared by the real steps."""
    layout, params = workspace(folder / "workspace", tiny_study_params(folder / "mirror", engine))
    for step in (download, split, preprocess):
        step.run(layout, params)
    return layout, params
