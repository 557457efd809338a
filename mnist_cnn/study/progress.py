"""How far a study is: each training part's planned trainings against the records on disk.

Read only: it looks where the study's stages look (the committed run folders and this
machine's task cache), by task key, and writes nothing. A record counts as done when it checks
out and came from the code now on the training path; one from other code is counted apart, as
the next run reuses it only after retraining one task per model to compare byte for byte.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnist_cnn.study.engine import Task
from mnist_cnn.study.runs import Check, json_files, read_record

# A label ending in a number, with an optional "/total" after it ("A seed 3", "B fold 2/5").
_NUMBERED = re.compile(r"(?P<head>.*?)(?P<number>\d+)(?P<tail>/\d+)?")


@dataclass(frozen=True)
class PartProgress:
    """One training part's trainings, sorted by what their records say."""

    part: str
    done: tuple[Task, ...]
    other_code: tuple[Task, ...]
    left: tuple[Task, ...]

    @property
    def planned(self) -> int:
        return len(self.done) + len(self.other_code) + len(self.left)


def usable_records(folders: Iterable[Path], check: Check | None) -> dict[str, dict[str, Any]]:
    """Every record under `folders` that checks out, by task key (the first found wins).

    A broken record is passed over here; the stage names it in a warning when it runs.
    """
    records: dict[str, dict[str, Any]] = {}
    for folder in folders:
        for path in json_files(folder):
            record, _ = read_record(path, check)
            if record is not None:
                records.setdefault(record["task"], record)
    return records


def part_progress(
    part: str, tasks: Sequence[Task], records: Mapping[str, Mapping[str, Any]], code: str
) -> PartProgress:
    done, other_code, left = [], [], []
    for task in tasks:
        record = records.get(task.key)
        if record is None:
            left.append(task)
        elif record["code"] == code:
            done.append(task)
        else:
            other_code.append(task)
    return PartProgress(part, tuple(done), tuple(other_code), tuple(left))


def label_ranges(labels: Iterable[str]) -> str:
    """Labels that differ only in their number, as runs: "B seed 1-3, 5", "A fold 1-5/5"."""
    groups: dict[tuple[str, str], list[int]] = {}
    plain: list[str] = []
    for label in labels:
        match = _NUMBERED.fullmatch(label)
        if match is None:
            plain.append(label)
            continue
        groups.setdefault((match["head"], match["tail"] or ""), []).append(int(match["number"]))
    said = []
    for (head, tail), numbers in groups.items():
        said.append(f"{head}{_runs(sorted(set(numbers)))}{tail}")
    return ", ".join([*said, *plain])


def _runs(numbers: Sequence[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5"."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def seconds_per_group(
    records: Iterable[Mapping[str, Any]], groups: Mapping[str, str]
) -> dict[str, float]:
    """Median wall seconds of the recorded trainings of each task group (model), from the
    records whose task key `groups` maps to a group."""
    seconds: dict[str, list[float]] = {}
    for record in records:
        group = groups.get(record["task"])
        if group is not None:
            seconds.setdefault(group, []).append(float(record["seconds"]))
    return {group: statistics.median(values) for group, values in seconds.items()}


def training_seconds_left(
    left: Sequence[Task], medians: Mapping[str, float]
) -> tuple[float, list[str]] | None:
    """Seconds of training the `left` tasks need at their models' median recorded time, and
    the models with no record, priced at the median of all models' medians; None when no
    model has a record at all."""
    if not medians:
        return None
    fallback = statistics.median(medians.values())
    unpriced = sorted({task.group for task in left if task.group not in medians})
    return sum(medians.get(task.group, fallback) for task in left), unpriced


def progress_lines(
    parts: Sequence[PartProgress], medians: Mapping[str, float], parallel: int
) -> list[str]:
    """What `make study-progress` prints: a line per part, then the time left."""
    lines = []
    for part in parts:
        line = f"{part.part}: {len(part.done)} of {part.planned} trainings recorded by this code"
        if part.other_code:
            line += (
                f"; {len(part.other_code)} by other code (checked on one per model, then "
                "reused or retrained)"
            )
        line += f"; left: {label_ranges(task.label for task in part.left) or 'none'}"
        lines.append(line)
    left = list({task.key: task for part in parts for task in part.left}.values())
    if not left:
        lines.append("nothing left to train: `dvc repro study/dvc.yaml` only summarises")
        return lines
    priced = training_seconds_left(left, medians)
    if priced is None:
        lines.append(f"{len(left)} trainings left; no record yet to time them by")
        return lines
    seconds, unpriced = priced
    line = (
        f"{len(left)} trainings left (a training two parts share counted once): about "
        f"{seconds / 3600:.1f} training-hours at the median time of each model's records, "
        f"{seconds / 3600 / parallel:.1f} h at runtime.study_parallel = {parallel} at a time"
    )
    if unpriced:
        line += f" ({', '.join(unpriced)}: no record yet, priced at the median model)"
    lines.append(line)
    return lines
