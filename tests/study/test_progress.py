"""make study-progress: the planned trainings against the records on disk, computed by hand."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mnist_cnn.study import progress, runs
from mnist_cnn.study.engine import Task
from tests.helpers import REPO_ROOT, assert_one_line_error

CODE = "c" * 64


def task(label: str, group: str) -> Task:
    return Task(label=label, spec=None, key=label.replace(" ", "_").replace("/", "of"), group=group)


def record(of: Task, code: str = CODE, seconds: float = 100.0) -> dict:
    return runs.make_record(
        task=of.key, label=of.label, code=code, result={"x": 1}, ran_on={}, seconds=seconds
    )


def write(folder: Path, of: Task, **changes) -> None:
    runs.write_record(folder / runs.file_name(of.label), record(of, **changes))


def test_label_ranges_join_consecutive_numbers_and_keep_a_total():
    labels = ["B seed 1", "B seed 2", "B seed 3", "B seed 5", "A fold 1/5", "A fold 2/5", "odd"]
    assert progress.label_ranges(labels) == "B seed 1-3, 5, A fold 1-2/5, odd"
    assert progress.label_ranges(["B_adj2 l2=0.001 seed 2"]) == "B_adj2 l2=0.001 seed 2"
    assert progress.label_ranges([]) == ""


def test_records_sort_tasks_into_done_other_code_and_left(tmp_path):
    a1, a2, b1, b2 = (task(f"{m} seed {s}", m) for m in "AB" for s in (1, 2))
    write(tmp_path / "seeds", a1)
    write(tmp_path / "seeds", a2, code="d" * 64)
    broken = record(b1)
    broken["seconds"] = 5.0  # a hand edit: the checksum no longer matches
    runs.write_record(tmp_path / "seeds" / runs.file_name(b1.label), broken)
    # b2's record lies in another part's folder under another label: found by its key.
    runs.write_record(tmp_path / "l2_fit" / "other-label.json", record(b2))

    found = progress.usable_records(
        [tmp_path / "cache", tmp_path / "seeds", tmp_path / "l2_fit"], None
    )
    assert set(found) == {a1.key, a2.key, b2.key}
    part = progress.part_progress("seeds", [a1, a2, b1, b2], found, CODE)
    assert (part.done, part.other_code, part.left, part.planned) == ((a1, b2), (a2,), (b1,), 4)


def test_time_left_prices_each_model_at_its_median_and_an_unrecorded_one_at_the_median_model():
    a, b = task("A seed 9", "A"), task("B seed 9", "B")
    records = [
        {"task": "a1", "seconds": 500.0},
        {"task": "a2", "seconds": 700.0},
        {"task": "a3", "seconds": 9000.0},  # a slow outlier: the median ignores it
        {"task": "b1", "seconds": 300.0},
        {"task": "zz", "seconds": 1.0},  # not a planned task: not counted
    ]
    groups = {"a1": "A", "a2": "A", "a3": "A", "b1": "B"}
    medians = progress.seconds_per_group(records, groups)
    assert medians == {"A": 700.0, "B": 300.0}
    left = [a, a, b, task("C seed 1", "C")]
    # 700 + 700 + 300 + median(700, 300) = 2200 seconds.
    assert progress.training_seconds_left(left, medians) == (2200.0, ["C"])
    assert progress.training_seconds_left(left, {}) is None

    part = progress.PartProgress("seeds", done=(), other_code=(), left=tuple(left))
    lines = progress.progress_lines([part], medians, parallel=2)
    assert (
        lines[0]
        == "seeds: 0 of 4 trainings recorded by this code; left: A seed 9, B seed 9, C seed 1"
    )
    # a and a share a key: counted once, so 3 trainings, 700 + 300 + 500 = 1500 s.
    assert lines[1].startswith("3 trainings left")
    assert (
        "about 0.4 training-hours" in lines[1] and "0.2 h at runtime.study_parallel = 2" in lines[1]
    )
    assert lines[1].endswith("(C: no record yet, priced at the median model)")


def test_a_finished_study_has_nothing_left():
    done = progress.PartProgress(
        "crossval", done=(task("A fold 1/2", "A"),), other_code=(), left=()
    )
    lines = progress.progress_lines([done], {"A": 10.0}, parallel=1)
    assert lines == [
        "crossval: 1 of 1 trainings recorded by this code; left: none",
        "nothing left to train: `dvc repro study/dvc.yaml` only summarises",
    ]


def test_without_prepared_data_the_tool_says_so_in_one_line(tmp_path):
    shutil.copy(REPO_ROOT / "params.yaml", tmp_path / "params.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "tools.study_progress"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    line = assert_one_line_error(result)
    assert "data/prepared/" in line and "dvc repro preprocess" in line
