"""A training stage killed after an epoch continues from there and ends exactly as if unbroken.

Each test runs `python -m stages.train MODEL` as DVC does, on tiny synthetic data, interrupts it
once an epoch is reported, starts it again and compares its outputs byte for byte with an
uninterrupted run of the same params.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.helpers import (
    load_repo_params,
    run_stage,
    shrink_params,
    stage_lines,
    start_stage,
    write_params,
)
from tests.mnist_fixtures import write_idx_set

pytestmark = pytest.mark.slow

OUTPUTS = ("metrics/train/{model}.json", "plots/history/{model}.csv")


def resume_params(mirror: Path, checksums: dict[str, str]) -> dict:
    """Three epochs of B_adj; B_adj2 with a short patience so early stopping fires mid-run."""
    params = shrink_params(load_repo_params(), mirror, checksums, epochs=3)
    params["models"]["B_adj2"].update(
        epochs=6, early_stopping={"monitor": "val_accuracy", "patience": 2}
    )
    return params


@pytest.fixture(scope="module")
def prepared_workspace(tmp_path_factory) -> Path:
    """A workspace holding params.yaml and data/prepared, made by the real stages."""
    root = tmp_path_factory.mktemp("resume")
    checksums = write_idx_set(root / "mirror", num_train=1000, num_test=50)
    workspace = root / "prepared"
    workspace.mkdir()
    write_params(workspace, resume_params(root / "mirror", checksums))
    for stage in ("stages.download", "stages.split", "stages.preprocess"):
        result = run_stage(workspace, stage)
        assert result.returncode == 0, result.stderr
    return workspace


def copy_of(workspace: Path, destination: Path) -> Path:
    shutil.copytree(workspace, destination)
    return destination


def train(workspace: Path, model: str) -> subprocess.CompletedProcess[str]:
    result = run_stage(workspace, "stages.train", model)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def uninterrupted(prepared_workspace, tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """The outputs of B_adj and B_adj2 trained without a break, file name to bytes."""
    workspace = copy_of(prepared_workspace, tmp_path_factory.mktemp("baseline") / "workspace")
    outputs = {}
    for model in ("B_adj", "B_adj2"):
        train(workspace, model)
        outputs[model] = outputs_of(workspace, model)
    return outputs


def outputs_of(workspace: Path, model: str) -> dict[str, bytes]:
    return {
        pattern.format(model=model): (workspace / pattern.format(model=model)).read_bytes()
        for pattern in OUTPUTS
    }


def interrupt_after_epoch(
    workspace: Path, model: str, epoch: int, signal_number: int
) -> tuple[int, list[str]]:
    """Start training, send `signal_number` once epoch `epoch` is reported; exit code and stderr."""
    child = start_stage(workspace, "stages.train", model)
    assert child.stderr is not None
    seen = []
    for line in child.stderr:
        seen.append(line.rstrip("\n"))
        if line.startswith(f"{model} epoch {epoch}/"):
            child.send_signal(signal_number)
            break
    remaining = child.communicate(timeout=120)[1]
    return child.returncode, stage_lines("\n".join(seen) + "\n" + remaining)


def resumed_epoch(lines: list[str], model: str) -> int:
    """The epoch a restart says it resumes after (fails if it started from zero)."""
    prefix = f"{model}: resuming after epoch "
    (line,) = [line for line in lines if line.startswith(prefix)]
    assert line.endswith(f" from .resume/{model}")
    return int(line.removeprefix(prefix).split()[0])


@pytest.mark.parametrize(
    "signal_number, exit_code",
    [
        (signal.SIGINT, 130),
        (signal.SIGKILL, -signal.SIGKILL),
    ],
    ids=["SIGINT", "SIGKILL"],
)
def test_killed_training_resumes_and_ends_byte_identical(
    prepared_workspace, uninterrupted, tmp_path, signal_number, exit_code
):
    workspace = copy_of(prepared_workspace, tmp_path / "workspace")
    code, lines = interrupt_after_epoch(workspace, "B_adj", 1, signal_number)
    assert code == exit_code
    if signal_number == signal.SIGINT:
        assert lines[-1] == "interrupted"
    assert not (workspace / "metrics/train/B_adj.json").exists()
    assert not (workspace / "data/models/B_adj.keras").exists()
    assert list((workspace / ".resume/B_adj").glob("epoch-*.json"))

    restart = stage_lines(train(workspace, "B_adj").stderr)

    assert 1 <= resumed_epoch(restart, "B_adj") <= 2
    assert outputs_of(workspace, "B_adj") == uninterrupted["B_adj"]
    assert not (workspace / ".resume/B_adj").exists()


def test_early_stopping_run_resumes_from_its_saved_history(
    prepared_workspace, uninterrupted, tmp_path
):
    workspace = copy_of(prepared_workspace, tmp_path / "workspace")
    code, _ = interrupt_after_epoch(workspace, "B_adj2", 1, signal.SIGKILL)
    assert code == -signal.SIGKILL

    restart = stage_lines(train(workspace, "B_adj2").stderr)

    resumed = resumed_epoch(restart, "B_adj2")
    expected = uninterrupted["B_adj2"]
    epochs_run = expected["plots/history/B_adj2.csv"].decode().count("\n") - 1
    assert resumed < epochs_run < 6, "early stopping must fire after the resume point"
    assert outputs_of(workspace, "B_adj2") == expected
    assert not (workspace / ".resume/B_adj2").exists()


def change_params(workspace: Path, edit: Callable[[dict], None]) -> None:
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    edit(params)
    write_params(workspace, params)


def test_resume_state_of_other_params_is_discarded_not_used(prepared_workspace, tmp_path):
    workspace = copy_of(prepared_workspace, tmp_path / "workspace")
    code, _ = interrupt_after_epoch(workspace, "B_adj", 1, signal.SIGKILL)
    assert code == -signal.SIGKILL
    change_params(
        workspace, lambda params: params["train"]["optimizer"].update(learning_rate=0.002)
    )

    restart = stage_lines(train(workspace, "B_adj").stderr)

    assert not any("resuming" in line for line in restart)
    discarded = [line for line in restart if line.startswith("discarding")]
    assert discarded and all(
        line.startswith("discarding resume state .resume/B_adj/epoch-")
        and line.endswith(": fingerprint differs: params or data changed")
        for line in discarded
    )
    assert [line.split(":")[0] for line in restart[len(discarded) :]] == [
        "B_adj epoch 1/3",
        "B_adj epoch 2/3",
        "B_adj epoch 3/3",
    ]
    assert not (workspace / ".resume/B_adj").exists()


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def variables_as_a_list(record_path: Path) -> None:
    """A hand-edited record: the right fingerprint and count, but no variable names."""
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["non_trainable"] = list(record["non_trainable"].values())
    record_path.write_text(json.dumps(record), encoding="utf-8")


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: flip_a_byte(folder / "epoch-2.keras"),
        lambda folder: (folder / "epoch-2.json").write_text("[]"),
        lambda folder: (folder / "epoch-2.json").write_text('{"fingerprint": '),
        lambda folder: variables_as_a_list(folder / "epoch-2.json"),
    ],
    ids=[
        "flipped-byte-in-checkpoint",
        "record-holding-a-list",
        "truncated-record",
        "variables-as-a-list",
    ],
)
def test_a_damaged_last_epoch_is_skipped_and_training_resumes_from_the_one_before(
    prepared_workspace, uninterrupted, tmp_path, damage
):
    workspace = copy_of(prepared_workspace, tmp_path / "workspace")
    code, _ = interrupt_after_epoch(workspace, "B_adj", 2, signal.SIGKILL)
    assert code == -signal.SIGKILL
    folder = workspace / ".resume/B_adj"
    assert (folder / "epoch-1.json").is_file() and (folder / "epoch-2.json").is_file()
    damage(folder)

    restart = stage_lines(train(workspace, "B_adj").stderr)

    assert restart[0].startswith("discarding resume state .resume/B_adj/epoch-2.json: ")
    assert resumed_epoch(restart, "B_adj") == 1
    assert outputs_of(workspace, "B_adj") == uninterrupted["B_adj"]
    assert not folder.exists()


def test_when_no_saved_epoch_loads_training_starts_over_and_ends_the_same(
    prepared_workspace, uninterrupted, tmp_path
):
    workspace = copy_of(prepared_workspace, tmp_path / "workspace")
    interrupt_after_epoch(workspace, "B_adj", 2, signal.SIGKILL)
    for record in (workspace / ".resume/B_adj").glob("epoch-*.json"):
        record.write_text("[]")

    restart = stage_lines(train(workspace, "B_adj").stderr)

    assert [line for line in restart if line.startswith("discarding")] != []
    assert not any("resuming" in line for line in restart)
    assert outputs_of(workspace, "B_adj") == uninterrupted["B_adj"]


def test_a_resume_folder_the_project_did_not_write_is_never_deleted(prepared_workspace, tmp_path):
    workspace = copy_of(prepared_workspace, tmp_path / "workspace")
    foreign = workspace / ".resume/B_adj"
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("someone's files")

    result = run_stage(workspace, "stages.train", "B_adj")

    assert result.returncode == 2
    assert stage_lines(result.stderr) == [
        f"error: {Path('.resume/B_adj')} exists but is not resume state of this project (no "
        ".mnist-cnn-resume); move it away or set runtime.resume_dir to another folder"
    ]
    assert (foreign / "notes.txt").read_text() == "someone's files"
