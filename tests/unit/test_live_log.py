"""LiveEpochLog: what dvclive writes per epoch, under which keys, and that it is repeatable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mnist_cnn.training.live_log import LiveEpochLog

HISTORY = [
    {"epoch": 1, "accuracy": 0.9, "loss": 0.5, "val_accuracy": 0.88, "val_loss": 0.6},
    {"epoch": 2, "accuracy": 0.95, "loss": 0.25, "val_accuracy": 0.93, "val_loss": 0.3},
    {"epoch": 3, "accuracy": 0.97, "loss": 0.125, "val_accuracy": 0.94, "val_loss": 0.2},
]
TSV_FILES = ("train/accuracy", "train/loss", "val/accuracy", "val/loss")


@pytest.fixture
def outside_any_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in a plain folder: dvclive looks for a git/DVC repository from the working folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def every_file(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def log_epoch_by_epoch(directory: Path) -> None:
    with LiveEpochLog(directory) as live_log:
        for finished in range(1, len(HISTORY) + 1):
            live_log.log(HISTORY[:finished])


def test_each_epoch_is_readable_while_training_goes_on(outside_any_repo):
    directory = outside_any_repo / "dvclive" / "A"
    with LiveEpochLog(directory) as live_log:
        live_log.log(HISTORY[:1])
        assert json.loads((directory / "metrics.json").read_text()) == {
            "train": {"accuracy": 0.9, "loss": 0.5},
            "val": {"accuracy": 0.88, "loss": 0.6},
            "step": 1,
        }
        live_log.log(HISTORY[:2])
        assert json.loads((directory / "metrics.json").read_text())["step"] == 2


def test_the_files_hold_the_training_metric_keys_and_no_timestamp(outside_any_repo):
    directory = outside_any_repo / "dvclive" / "A"
    log_epoch_by_epoch(directory)

    last = HISTORY[-1]
    assert json.loads((directory / "metrics.json").read_text()) == {
        "train": {"accuracy": last["accuracy"], "loss": last["loss"]},
        "val": {"accuracy": last["val_accuracy"], "loss": last["val_loss"]},
        "step": 3,
    }
    accuracy = (directory / "plots" / "metrics" / "val" / "accuracy.tsv").read_text()
    assert accuracy.splitlines() == ["step\taccuracy", "1\t0.88", "2\t0.93", "3\t0.94"]
    # Nothing but the folder: no dvc.yaml, no report, no .dvc.
    assert sorted(every_file(outside_any_repo)) == [
        "dvclive/A/metrics.json",
        *(f"dvclive/A/plots/metrics/{name}.tsv" for name in TSV_FILES),
    ]


def test_a_resumed_run_writes_the_same_bytes_as_an_uninterrupted_one(outside_any_repo):
    uninterrupted = outside_any_repo / "uninterrupted"
    log_epoch_by_epoch(uninterrupted)
    resumed = outside_any_repo / "resumed"
    # A killed run left two epochs behind; the resumed run starts with those two in its history.
    with LiveEpochLog(resumed) as live_log:
        live_log.log(HISTORY[:2])
    with LiveEpochLog(resumed) as live_log:
        live_log.log(HISTORY[:2])
        live_log.log(HISTORY)
        live_log.log(HISTORY)

    assert every_file(resumed) == every_file(uninterrupted)
