"""A loss that becomes NaN or infinite stops training: exit 2, one clear line, no outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from stages import train
from stages.errors import EXIT_USER_ERROR
from tests.conftest import write_params
from tests.stages.stage_cli import failed_in_process, run_stage, stage_lines


def no_training_outputs(workspace: Path, model: str) -> bool:
    return not any(
        (workspace / path).exists()
        for path in (
            f"data/models/{model}.keras",
            f"metrics/train/{model}.json",
            f"metrics/train/{model}.summary.txt",
            f"plots/history/{model}.csv",
        )
    )


def test_injected_nan_in_the_targets_stops_training_with_exit_2(
    prepared_workspace, monkeypatch, capsys
):
    real_load_split = train.load_split

    def load_split_with_a_nan(part: str) -> train.Split:
        loaded = real_load_split(part)
        one_hot = loaded.one_hot.astype(np.float32)
        one_hot[0, 0] = np.nan
        return train.Split(images=loaded.images, one_hot=one_hot)

    monkeypatch.setattr(train, "load_split", load_split_with_a_nan)
    assert failed_in_process(lambda: train.main("B"), capsys) == (
        "error: training diverged at epoch 1: loss is nan; "
        "lower train.learning_rate or the model's l2"
    )
    assert no_training_outputs(prepared_workspace, "B")


def test_absurd_l2_overflows_the_loss_and_the_stage_exits_2(prepared_workspace):
    params = yaml.safe_load((prepared_workspace / "params.yaml").read_text())
    params["models"]["B_adj2"]["layers"][10]["l2"] = 1.0e38
    write_params(prepared_workspace, params)

    result = run_stage(prepared_workspace, "stages.train", "B_adj2")

    assert result.returncode == EXIT_USER_ERROR
    assert "Traceback" not in result.stderr
    assert stage_lines(result.stderr) == [
        "error: training diverged at epoch 1: loss is inf; "
        "lower train.learning_rate or the model's l2"
    ]
    assert no_training_outputs(prepared_workspace, "B_adj2")
