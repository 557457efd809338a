"""One training's record: its result, the code and machine that made it, and a checksum.

A record is a small JSON file, written the moment its training finishes, in two places: the
study's run folder (study/runs/<stage>/, committed to git, named after the task's label) and the
local task cache (named after the task's key). Reading one checks everything it can: UTF-8
JSON, the exact keys and their types, the task key, the checksum of its own content, and the
result's internal consistency (the caller's `check`). Any failure is one line saying what and
where; the caller trains that task again and never uses the record.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mnist_cnn import files
from mnist_cnn.errors import DataError

FORMAT = 1
# The key under which a work function may return the machine it ran on: kept beside the
# result, never compared (the same numbers from another machine are the same result).
RAN_ON = "ran_on"
# Each key of a record and the JSON type it must have.
FIELDS: dict[str, type | tuple[type, ...]] = {
    "format": int,
    "task": str,
    "label": str,
    "code": str,
    "result": dict,
    "ran_on": dict,
    "seconds": (int, float),
    "checksum": str,
}
# A label as a file name: letters, digits, `_ . =` kept, everything else one `-`.
_UNSAFE = re.compile(r"[^0-9A-Za-z_.=]+")

Check = Callable[[Mapping[str, Any]], str | None]


def canonical_json(data: Any) -> str:
    """One text per value: sorted keys, no spaces, no NaN."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def file_name(label: str) -> str:
    return f"{_UNSAFE.sub('-', label).strip('-')}.json"


def checksum(record: Mapping[str, Any]) -> str:
    """sha256 of the record's content without its checksum."""
    content = {key: value for key, value in record.items() if key != "checksum"}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def this_machine() -> dict[str, Any]:
    """The machine and Python computing a result, when the work function does not say."""
    return {
        "machine": platform.machine(),
        "system": platform.system(),
        "python": platform.python_version(),
        "cpus": os.cpu_count() or 0,
    }


def make_record(
    *,
    task: str,
    label: str,
    code: str,
    result: Mapping[str, Any],
    ran_on: Mapping[str, Any],
    seconds: float,
) -> dict[str, Any]:
    record = {
        "format": FORMAT,
        "task": task,
        "label": label,
        "code": code,
        "result": dict(result),
        "ran_on": dict(ran_on),
        "seconds": round(float(seconds), 3),
    }
    return {**record, "checksum": checksum(record)}


def with_changes(record: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """`record` with some fields replaced and its checksum computed again."""
    content = {key: value for key, value in record.items() if key != "checksum"}
    content.update(changes)
    return {**content, "checksum": checksum(content)}


def write_record(path: Path, record: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_json(path, record)


def record_problem(record: Any, check: Check | None = None) -> str | None:
    """Why `record` cannot be used (one phrase), or None when it checks out."""
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not an object"
    missing = sorted(set(FIELDS) - set(record))
    if missing:
        return f"missing {', '.join(missing)}"
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        return f"unknown key {unknown[0]}"
    for key, kind in FIELDS.items():
        if isinstance(record[key], bool) or not isinstance(record[key], kind):
            return f"{key} is {type(record[key]).__name__}"
    if record["format"] != FORMAT:
        return f"format {record['format']}, this code reads format {FORMAT}"
    if record["checksum"] != checksum(record):
        return "its checksum does not match its content (edited or damaged)"
    return None if check is None else check(record["result"])


def read_record(path: Path, check: Check | None = None) -> tuple[dict[str, Any] | None, str]:
    """(the record, "") when `path` holds a usable one; (None, why not) otherwise."""
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return None, f"{path}: not UTF-8 text"
    except json.JSONDecodeError as error:
        return None, f"{path}: not JSON ({error.msg}, line {error.lineno})"
    problem = record_problem(record, check)
    if problem is not None:
        return None, f"{path}: {problem}"
    return record, ""


def json_files(folder: Path) -> list[Path]:
    """The records written to `folder`, sorted: a writer's hidden temporary is not one yet."""
    # files.atomic_path names its temporaries ".<target>.<random>.tmp.json", which pathlib's
    # glob matches. The rule belongs in files.py, but every stage of dvc.yaml depends on that
    # file, so moving it there waits for a change that retrains anyway.
    return sorted(path for path in Path(folder).glob("*.json") if not path.name.startswith("."))


def results_by_label(folder: Path, check: Check | None = None) -> dict[str, dict[str, Any]]:
    """Every record's result in a run folder, by task label: what the study's summaries read.

    A record that fails its checks is an error here: a summary is never made from it.
    """
    results: dict[str, dict[str, Any]] = {}
    for path in json_files(folder):
        record, problem = read_record(path, check)
        if record is None:
            raise DataError(f"{problem}; run the study's stage again to retrain it")
        results[record["label"]] = record["result"]
    return results


class Store:
    """Where records live: the local cache (`<key>.json`) and, when given, the run folder
    (`<label>.json`, committed). A record found in one is copied to the other."""

    def __init__(self, cache_dir: Path, runs_dir: Path | None, check: Check | None) -> None:
        self.cache_dir = cache_dir
        self.runs_dir = runs_dir
        self.check = check

    def paths(self, label: str, key: str) -> list[Path]:
        # The cache first: a study killed between the two writes leaves the committed folder
        # no ahead of the cache, so "N from stored results" counts what the cache shows.
        cached = self.cache_dir / f"{key}.json"
        return [cached] if self.runs_dir is None else [cached, self.runs_dir / file_name(label)]

    def find(self, task: Any, warn: Callable[[str], None]) -> dict[str, Any] | None:
        """`task`'s usable record, or None; each broken one is one warning line, then ignored."""
        found = None
        for path in self.paths(task.label, task.key):
            if found is not None or not path.is_file():
                continue
            record, problem = read_record(path, self.check)
            if record is None:
                warn(f"study: warning: {problem}; not used, {task.label} is trained again")
            elif record["task"] == task.key:
                found = record
            # else: the record of another task of that label (other params), not this one's
        if found is not None:
            # One training can be two tasks (B_adj2 seed 1 in seeds, and with its declared L2
            # in l2_fit): the key decides the result, the label only names it here.
            if found["label"] != task.label:
                found = with_changes(found, label=task.label)
            self._write_missing(task, found)
        return found

    def _write_missing(self, task: Any, record: Mapping[str, Any]) -> None:
        text = json.dumps(record, indent=2, sort_keys=True, allow_nan=False) + "\n"
        for path in self.paths(task.label, task.key):
            if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
                write_record(path, record)

    def save(
        self,
        task: Any,
        result: Mapping[str, Any],
        ran_on: Mapping[str, Any],
        code: str,
        seconds: float,
    ) -> dict[str, Any]:
        record = make_record(
            task=task.key,
            label=task.label,
            code=code,
            result=result,
            ran_on=ran_on,
            seconds=seconds,
        )
        for path in self.paths(task.label, task.key):
            write_record(path, record)
        return record

    def restamp(self, task: Any, record: Mapping[str, Any], code: str) -> dict[str, Any]:
        """`record` vouched for by the new code (its sample matched byte for byte)."""
        stamped = with_changes(record, code=code)
        for path in self.paths(task.label, task.key):
            write_record(path, stamped)
        return stamped

    def keep_only(self, tasks: Sequence[Any]) -> None:
        """The run folder holds exactly these tasks' records (older ones stay in the cache)."""
        if self.runs_dir is None:
            return
        wanted = {file_name(task.label) for task in tasks}
        for path in json_files(self.runs_dir):
            if path.name not in wanted:
                path.unlink()
