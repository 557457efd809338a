"""Stored results are checked before use, bound to the code that made them, and committed.

Fast: the engine with a work function that costs nothing (tests/study/tiny_work.py), so each
case shows exactly which tasks ran again and which lines the study printed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mnist_cnn.study import runs
from mnist_cnn.study.engine import Task, run_tasks, task_key
from mnist_cnn.study.fingerprint import (
    SEED_GROUP_ENTRY,
    SOURCE_ROOT,
    TRAINING_ENTRY,
    code_fingerprint,
    import_closure,
)
from mnist_cnn.study.seed_groups import group_problem, train_group
from mnist_cnn.study.summary import IMAGES_FIELD
from mnist_cnn.study.tasks import result_problem, train_task
from tests.study.tiny_work import EVENTS_VARIABLE, read_events, scale_value


def make_task(name: str, value: float, group: str = "") -> Task:
    spec = {"name": name, "value": value}
    key = task_key(spec, {"group": group})
    return Task(label=f"{group} {name}".strip(), spec=spec, key=key, group=group)


@pytest.fixture
def events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "events.log"
    monkeypatch.setenv(EVENTS_VARIABLE, str(path))
    return path


def started(events: Path) -> list[str]:
    return [name for event, name, _, _ in read_events(events) if event == "start"]


def study(tmp_path: Path, tasks: list[Task], code: str, lines: list[str], **extra: Any) -> dict:
    return run_tasks(
        tasks,
        scale_value,
        shared={"factor": 10},
        cache_dir=tmp_path / "cache",
        runs_dir=tmp_path / "runs",
        code=code,
        engine="in_process",
        max_parallel=1,
        threads_per_task=1,
        report=lines.append,
        **extra,
    )


def store_record(tmp_path: Path, task: Task, result: dict, code: str) -> None:
    record = runs.make_record(
        task=task.key, label=task.label, code=code, result=result, ran_on={}, seconds=1.0
    )
    runs.write_record(tmp_path / "runs" / runs.file_name(task.label), record)


# --- each stored result checks out, or is one warning line and trained again ---------------

TASK = make_task("a", 1)
GOOD = runs.make_record(
    task=TASK.key,
    label=TASK.label,
    code="c",
    result={"threads": 1, "value": 10},
    ran_on={},
    seconds=1.0,
)
GOOD_TEXT = json.dumps(GOOD, indent=2, sort_keys=True)
EDITED = GOOD_TEXT.replace('"value": 10', '"value": 11')


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{}", "missing checksum, code, format, label, ran_on, result, seconds, task"),
        (b"\xff\xfe{", "not UTF-8 text"),
        (GOOD_TEXT[: len(GOOD_TEXT) // 2].encode(), "not JSON ("),
        (GOOD_TEXT.replace('"seconds": 1.0', '"seconds": "1"').encode(), "seconds is str"),
        (GOOD_TEXT.replace('"format": 1', '"format": true').encode(), "format is bool"),
        (EDITED.encode(), "its checksum does not match its content (edited or damaged)"),
        (b"[]", "a JSON list, not an object"),
    ],
    ids=["empty", "bad-encoding", "truncated", "wrong-type", "bool", "hand-edited", "list"],
)
def test_a_broken_record_is_one_warning_line_and_trained_again(tmp_path, events, content, problem):
    path = tmp_path / "runs" / runs.file_name(TASK.label)
    path.parent.mkdir()
    path.write_bytes(content)
    lines: list[str] = []
    results = study(tmp_path, [TASK], "c", lines)
    assert results == {TASK.key: {"threads": 1, "value": 10}}
    assert started(events) == ["a"]
    assert lines[0].startswith(f"study: warning: {path}: {problem}")
    assert lines[0].endswith("; not used, a is trained again")
    assert len(lines) == 2 and "\n" not in lines[0]
    assert runs.read_record(path)[1] == ""  # replaced by the new, good record


def history(epochs: int) -> list[dict[str, float]]:
    return [
        {"epoch": n, "accuracy": 0.5, "loss": 1.0, "val_accuracy": 0.5, "val_loss": 1.0}
        for n in range(1, epochs + 1)
    ]


TRAINING = {
    "history": history(2),
    "epochs_run": 2,
    "num_params": 10,
    "train_images": 90,
    "val_images": 10,
    "test": {"accuracy": 0.75, "correct": 75, "images": 100, "loss": 0.5},
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"test": {**TRAINING["test"], "accuracy": 0.9999}}, "test accuracy 0.9999 is not"),
        ({"test": {**TRAINING["test"], "correct": 101}}, "test correct 101 of 100 images"),
        ({"epochs_run": 3}, "epochs_run 3 but 2 history rows"),
        ({"history": history(1)}, "epochs_run 2 but 1 history rows"),
        ({"history": []}, "its history is missing or empty"),
        ({"test": {"accuracy": 0.75}}, "test does not hold exactly"),
        ({"num_params": "10"}, "num_params is missing or not a whole number"),
        ({"test": {**TRAINING["test"], IMAGES_FIELD: "1" * 75 + "0" * 25}}, None),
        (
            {"test": {**TRAINING["test"], IMAGES_FIELD: "1" * 75 + "0" * 24}},
            f"test {IMAGES_FIELD} is not a string of 100 characters",
        ),
        (
            {"test": {**TRAINING["test"], IMAGES_FIELD: "1" * 75 + "0" * 24 + "x"}},
            f"test {IMAGES_FIELD} holds characters other than 0 and 1",
        ),
        (
            {"test": {**TRAINING["test"], IMAGES_FIELD: "1" * 74 + "0" * 26}},
            f"test {IMAGES_FIELD} has 74 images right, but correct is 75",
        ),
    ],
)
def test_a_training_result_is_checked_for_consistency(change, problem):
    found = result_problem({**TRAINING, **change})
    assert found == problem if problem is None else found.startswith(problem)


def test_a_consistent_looking_hand_edit_with_a_fresh_checksum_is_still_caught(tmp_path, events):
    """An edit that recomputes the checksum but not correct/images is refused by the check."""
    task = make_task("a", 1)
    edited = {**TRAINING, "test": {**TRAINING["test"], "accuracy": 0.9999}}
    store_record(tmp_path, task, edited, "c")
    lines: list[str] = []
    study(tmp_path, [task], "c", lines, check=result_problem)
    assert started(events) == ["a"]
    assert "test accuracy 0.9999 is not correct/images = 75/100" in lines[0]


# --- bound to the code: a changed fingerprint is checked on a sample -------------------------


def two_models() -> list[Task]:
    return [
        make_task(name, value, group)
        for group in ("A", "B")
        for name, value in (("s1", 1), ("s2", 2), ("s3", 3))
    ]


def test_a_change_that_keeps_results_retrains_only_one_task_per_model(tmp_path, events):
    tasks = two_models()
    for task in tasks:
        store_record(tmp_path, task, {"threads": 1, "value": task.spec["value"] * 10}, "old")
    lines: list[str] = []
    study(tmp_path, tasks, "new", lines)
    assert started(events) == ["s1", "s1"]  # A s1 and B s1: the sample
    assert lines[0] == (
        "study: the code on the training path changed since 6 stored results were made; "
        "retraining 2 (one per model) to compare byte for byte"
    )
    assert "study: all 2 came out byte for byte the same; the other 4 stored results" in lines[3]
    assert lines[4] == "study: 4 of 6 from stored results"
    # Every record now vouches for the new code, and still checks out.
    for path in (tmp_path / "runs").glob("*.json"):
        record, problem = runs.read_record(path)
        assert problem == "" and record["code"] == "new"
    study(tmp_path, tasks, "new", [])
    assert len(started(events)) == 2  # nothing more


def test_a_change_that_alters_results_retrains_everything(tmp_path, events):
    tasks = two_models()
    # What the old code computed: other numbers than the work function gives now.
    for task in tasks:
        store_record(tmp_path, task, {"threads": 1, "value": -1}, "old")
    lines: list[str] = []
    results = study(tmp_path, tasks, "new", lines)
    assert sorted(started(events)) == sorted(["s1", "s2", "s3"] * 2)
    assert "A s1 came out different from its stored result" in lines[3]
    assert "all 4 others stored under the old code are trained again" in lines[3]
    assert all(result["value"] > 0 for result in results.values())


# --- committed per-run records: resume elsewhere, exactly the study's tasks ------------------


def test_the_run_folder_alone_resumes_a_study_on_another_machine(tmp_path, events):
    tasks = [make_task("a", 1), make_task("b", 2)]
    study(tmp_path, tasks[:1], "c", [])
    shutil.rmtree(tmp_path / "cache")  # another machine: only what git holds
    lines: list[str] = []
    study(tmp_path, tasks, "c", lines)
    assert started(events) == ["a", "b"]
    assert lines[0] == "study: 1 of 2 from stored results"
    # The local cache is filled again from the committed record.
    assert (tmp_path / "cache" / f"{tasks[0].key}.json").is_file()
    assert runs.results_by_label(tmp_path / "runs") == {
        "a": {"threads": 1, "value": 10},
        "b": {"threads": 1, "value": 20},
    }


def test_the_run_folder_holds_exactly_the_study_s_tasks(tmp_path, events):
    study(tmp_path, [make_task("a", 1), make_task("b", 2)], "c", [])
    study(tmp_path, [make_task("a", 1)], "c", [])
    assert sorted(path.name for path in (tmp_path / "runs").iterdir()) == ["a.json"]
    assert len(list((tmp_path / "cache").iterdir())) == 2  # the cache keeps both


def test_a_record_of_the_same_label_with_other_params_is_not_reused(tmp_path, events):
    study(tmp_path, [make_task("a", 1)], "c", [])
    lines: list[str] = []
    study(tmp_path, [make_task("a", 2)], "c", lines)
    assert started(events) == ["a", "a"]
    assert runs.results_by_label(tmp_path / "runs") == {"a": {"threads": 1, "value": 20}}


def test_one_training_shared_by_two_parts_is_recorded_under_each_label(tmp_path, events):
    """seeds' `B_adj2 seed 1` and l2_fit's `B_adj2 l2=0.01 seed 1` are one training."""
    spec = {"name": "shared", "value": 1}
    key = task_key(spec, {})
    for label, folder in (("B_adj2 seed 1", "seeds"), ("B_adj2 l2=0.01 seed 1", "l2_fit")):
        run_tasks(
            [Task(label=label, spec=spec, key=key)],
            scale_value,
            shared={"factor": 10},
            cache_dir=tmp_path / "cache",
            runs_dir=tmp_path / folder,
            code="c",
            engine="in_process",
            max_parallel=1,
            threads_per_task=1,
            report=lambda line: None,
        )
    assert started(events) == ["shared"]
    assert list(runs.results_by_label(tmp_path / "l2_fit")) == ["B_adj2 l2=0.01 seed 1"]
    assert list(runs.results_by_label(tmp_path / "seeds")) == ["B_adj2 seed 1"]


# --- the fingerprint itself -------------------------------------------------------------------


def copy_of_the_code(tmp_path: Path) -> Path:
    for package in ("mnist_cnn", "stages"):
        shutil.copytree(SOURCE_ROOT / package, tmp_path / package)
    return tmp_path


def test_the_fingerprint_covers_the_training_path_and_nothing_else(tmp_path):
    root = copy_of_the_code(tmp_path)
    closure = {path.as_posix() for path in import_closure(root, "mnist_cnn.study.tasks")}
    assert {
        "mnist_cnn/training/loop.py",
        "mnist_cnn/models.py",
        "mnist_cnn/params/layers.py",
        "mnist_cnn/scoring.py",
        "mnist_cnn/__init__.py",
    } <= closure
    assert "mnist_cnn/study/report.py" not in closure
    before = code_fingerprint(root)
    (root / "mnist_cnn/study/report.py").write_text("# not on the training path\n")
    assert code_fingerprint(root) == before
    loop = root / "mnist_cnn/training/loop.py"
    loop.write_text(loop.read_text() + "# a comment\n")
    assert code_fingerprint(root) != before


def test_a_seed_group_s_closure_holds_the_vmapped_program_and_the_single_training_path():
    # The entries are the modules of the engine's two work functions.
    assert (train_task.__module__, train_group.__module__) == (TRAINING_ENTRY, SEED_GROUP_ENTRY)
    closure = {path.as_posix() for path in import_closure(SOURCE_ROOT, SEED_GROUP_ENTRY)}
    assert {
        "mnist_cnn/training/many_seeds.py",
        "mnist_cnn/training/epoch_program.py",
        "mnist_cnn/study/tasks.py",
    } <= closure
    # The compiled engine is on the single training's path too (train.engine chooses it).
    single = {path.as_posix() for path in import_closure(SOURCE_ROOT, TRAINING_ENTRY)}
    assert "mnist_cnn/training/compiled_epoch.py" in single
    assert "mnist_cnn/training/many_seeds.py" not in single


@pytest.mark.parametrize(
    ("group", "problem"),
    [
        ({"seeds": [TRAINING, TRAINING]}, None),
        ({"seeds": []}, "it does not hold exactly a non-empty list"),
        ({"seeds": [TRAINING], "extra": 1}, "it does not hold exactly a non-empty list"),
        ({"seeds": [TRAINING, "x"]}, "seed result 2 is not a mapping"),
        (
            {"seeds": [{k: v for k, v in TRAINING.items() if k != "test"}]},
            "seed result 1 has no test",
        ),
        ({"seeds": [TRAINING, {**TRAINING, "epochs_run": 3}]}, "seed result 2: epochs_run 3 but 2"),
    ],
)
def test_a_seed_group_result_is_checked_seed_by_seed(group, problem):
    found = group_problem(group)
    assert found == problem if problem is None else found.startswith(problem)
