"""A loss that becomes NaN or infinite stops training: exit 2, one clear line, no outputs."""

from __future__ import annotations

import numpy as np

from mnist_cnn.pipeline import train
from mnist_cnn.training.loop import Split
from tests.helpers import edit_params, failed_in_process, run_stage, stage_lines


def no_training_outputs(layout, model: str) -> bool:
    paths = (
        layout.model_file(model),
        layout.train_metrics(model),
        layout.summary(model),
        layout.history(model),
    )
    return not any(path.exists() for path in paths)


def test_injected_nan_in_the_targets_stops_training_with_exit_2(
    prepared_workspace, monkeypatch, capsys
):
    layout, params = prepared_workspace
    real_load_split = train.load_split

    def load_split_with_a_nan(layout, part: str) -> Split:
        loaded = real_load_split(layout, part)
        one_hot = loaded.one_hot.astype(np.float32)
        one_hot[0, 0] = np.nan
        return Split(images=loaded.images, one_hot=one_hot)

    monkeypatch.setattr(train, "load_split", load_split_with_a_nan)
    assert failed_in_process(lambda: train.run(layout, params, "B"), capsys) == (
        "error: training diverged at epoch 1: loss is nan; "
        "lower train.optimizer.learning_rate or the model's l2"
    )
    assert no_training_outputs(layout, "B")
    assert not list(layout.resume_dir(params.runtime.resume_dir, "B").glob("epoch-*"))


def test_absurd_l2_overflows_the_loss_and_the_stage_exits_2(prepared_workspace):
    layout, _ = prepared_workspace
    edit_params(layout.root, ("models.B_adj2.layers.hidden.l2", 1.0e38))

    result = run_stage(layout.root, "stages.train", "B_adj2")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert stage_lines(result.stderr) == [
        "error: training diverged at epoch 1: loss is inf; "
        "lower train.optimizer.learning_rate or the model's l2"
    ]
    assert no_training_outputs(layout, "B_adj2")
