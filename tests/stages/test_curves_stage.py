"""The curves stage's main() in a workspace: one PNG per declared model, whatever they are."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from stages import curves
from stages.errors import DataError
from tests.conftest import write_params

HISTORY = "epoch,accuracy,loss,val_accuracy,val_loss\n1,0.9,0.3,0.95,0.2\n2,0.95,0.2,0.96,0.15\n"


def write_histories(workspace: Path, names: list[str]) -> None:
    (workspace / "plots/history").mkdir(parents=True, exist_ok=True)
    for name in names:
        (workspace / "plots/history" / f"{name}.csv").write_text(HISTORY)


def test_one_png_per_declared_model_and_one_for_all(stage_workspace, small_params):
    write_histories(stage_workspace, list(small_params["models"]))
    curves.main()
    written = sorted(path.name for path in (stage_workspace / "plots/curves").iterdir())
    assert written == sorted(
        ["every_model.png", *(f"model_{name}.png" for name in small_params["models"])]
    )
    for name in written:
        with Image.open(stage_workspace / "plots/curves" / name) as picture:
            picture.load()


def test_a_newly_declared_model_is_drawn_without_code_changes(
    stage_workspace: Path, small_params: dict[str, Any]
):
    small_params["models"]["B_wide"] = copy.deepcopy(small_params["models"]["B"])
    write_params(stage_workspace, small_params)
    write_histories(stage_workspace, list(small_params["models"]))
    curves.main()
    assert (stage_workspace / "plots/curves/model_B_wide.png").is_file()


def test_a_missing_history_names_the_file_and_the_stage_to_run(stage_workspace, small_params):
    write_histories(stage_workspace, [name for name in small_params["models"] if name != "B"])
    with pytest.raises(DataError, match=r"plots/history/B.csv: file not found; .*train_B"):
        curves.main()
    assert not (stage_workspace / "plots/curves").exists()
