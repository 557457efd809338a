"""The curves step in a workspace: one PNG per declared model, whatever they are."""

from __future__ import annotations

import copy

import pytest
from PIL import Image

from mnist_cnn.errors import DataError
from mnist_cnn.params import parse_params
from mnist_cnn.pipeline import curves

HISTORY = "epoch,accuracy,loss,val_accuracy,val_loss\n1,0.9,0.3,0.95,0.2\n2,0.95,0.2,0.96,0.15\n"


def write_histories(layout, names) -> None:
    for name in names:
        layout.history(name).parent.mkdir(parents=True, exist_ok=True)
        layout.history(name).write_text(HISTORY)


def test_one_png_per_declared_model_and_one_for_all(small_workspace):
    layout, params = small_workspace
    write_histories(layout, params.models)
    curves.run(layout, params)
    written = sorted(path.name for path in layout.curves_dir.iterdir())
    assert written == sorted(["every_model.png", *(f"model_{name}.png" for name in params.models)])
    for name in written:
        with Image.open(layout.curves_dir / name) as picture:
            picture.load()


def test_ours_beside_the_notebook_for_every_model_the_notebook_trained(small_workspace):
    layout, params = small_workspace
    write_histories(layout, params.models)
    curves.run(layout, params)
    written = sorted(path.name for path in layout.fidelity_dir.iterdir())
    assert written == ["A.csv", "B.csv", "B_adj.csv", "B_adj2.csv"]
    assert layout.fidelity("B").read_text().splitlines() == [
        "epoch,val_accuracy,val_loss,val_accuracy_notebook,val_loss_notebook",
        "1,0.95,0.2,0.981,0.0689",
        "2,0.96,0.15,0.9855,0.0504",
    ]


def test_a_newly_declared_model_is_drawn_without_code_changes(small_workspace, small_params):
    layout, _ = small_workspace
    small_params["models"]["B_wide"] = copy.deepcopy(small_params["models"]["B"])
    params = parse_params(small_params)
    write_histories(layout, params.models)
    curves.run(layout, params)
    assert (layout.curves_dir / "model_B_wide.png").is_file()


def test_a_missing_history_names_the_file(small_workspace):
    layout, params = small_workspace
    write_histories(layout, [name for name in params.models if name != "B"])
    with pytest.raises(DataError, match=r"plots/history/B.csv: file not found"):
        curves.run(layout, params)
    assert not layout.curves_dir.exists()
