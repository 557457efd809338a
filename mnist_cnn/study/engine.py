"""Independent trainings fanned out in this process or on Ray: resumable, with progress.

A study trains many models (recipes x seeds) that share nothing but read-only inputs. Each task
is one call `work(spec, shared, threads)` returning a JSON object. Its result is written to
`cache_dir/<key>.json` the moment it finishes, so a study that is killed resumes without
training again what already finished; the key is the caller's hash of everything the result
depends on (`task_key`).

Engines: "in_process" runs the tasks one after another here (tests, debugging). "ray" makes each
task a Ray task in a fresh worker process (`max_calls=1`), because TensorFlow's thread counts
can only be set before its runtime starts. With RAY_ADDRESS unset, Ray starts on this machine
with `max_parallel * threads_per_task` CPUs; with RAY_ADDRESS set, the driver joins that
cluster (a cluster with token authentication also needs RAY_AUTH_MODE=token and its token).
ray_cluster.py decides which, bounds the join, and makes a local Ray die with the study.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnist_cnn.study import ray_cluster

ENGINES = ("in_process", "ray")
# A key becomes a file name: no separators, no leading dot (hidden files are temporaries).
KEY_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]*")

Work = Callable[[Mapping[str, Any], Any, int], Mapping[str, Any]]
Report = Callable[[str], None]


class TaskFailedError(RuntimeError):
    """A task raised or its worker died; the message names the task."""


def canonical_json(data: Any) -> str:
    """One text per value: sorted keys, no spaces, no NaN."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def task_key(spec: Mapping[str, Any], input_hashes: Mapping[str, str]) -> str:
    """sha256 of the task's spec and its inputs' hashes: equal keys, equal results."""
    text = canonical_json({"inputs": input_hashes, "spec": spec})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Task:
    """One training: `label` for people ("B_adj seed 3"), `spec` for `work`, `key` for the cache."""

    label: str
    spec: Mapping[str, Any]
    key: str

    def __post_init__(self) -> None:
        if not KEY_PATTERN.fullmatch(self.key):
            raise ValueError(f"task {self.label!r}: key {self.key!r} is not a plain file name")
        try:
            canonical_json(self.spec)
        except (TypeError, ValueError) as error:
            raise ValueError(f"task {self.label!r}: spec is not JSON: {error}") from error


def report_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def format_duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 120 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Progress:
    """Counts finished tasks and estimates the time left from the mean task time so far."""

    def __init__(self, total: int, done: int, parallel: int) -> None:
        self.total = total
        self.done = done
        self.parallel = parallel
        self.run_here = 0
        self.seconds_here = 0.0

    def finished(self, label: str, seconds: float) -> str:
        """Count one more finished task; its progress line."""
        self.done += 1
        self.run_here += 1
        self.seconds_here += seconds
        line = f"study: {self.done}/{self.total} done ({label}, {format_duration(seconds)})"
        left = self.total - self.done
        if left == 0:
            return line
        # The tasks left run `parallel` at a time, each taking the mean so far.
        estimate = self.seconds_here / self.run_here * left / min(self.parallel, left)
        return f"{line}; about {format_duration(estimate)} left"


def _write_text_atomically(target: Path, text: str) -> None:
    """Temporary file beside `target`, then os.replace: a result is complete or absent.

    A private copy until the package move lands; then the project's atomic JSON writer
    (stages/artifacts.py, moving to mnist_cnn) takes its place.
    """
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(name, target)
    finally:
        Path(name).unlink(missing_ok=True)


def _read_cached(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not JSON ({error}); delete it to run its task again") from error
    if not isinstance(result, dict):
        raise ValueError(f"{path}: not a JSON object; delete it to run its task again")
    return result


def _check_arguments(
    tasks: Sequence[Task], engine: str, max_parallel: int, threads_per_task: int
) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    for name, value in (("max_parallel", max_parallel), ("threads_per_task", threads_per_task)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    labels_by_key: dict[str, str] = {}
    for task in tasks:
        if task.key in labels_by_key:
            raise ValueError(
                f"tasks {labels_by_key[task.key]!r} and {task.label!r} share the key {task.key}"
            )
        labels_by_key[task.key] = task.label


def run_tasks(
    tasks: Sequence[Task],
    work: Work,
    *,
    shared: Any,
    cache_dir: Path,
    engine: str,
    max_parallel: int,
    threads_per_task: int,
    report: Report = report_to_stderr,
) -> dict[str, dict[str, Any]]:
    """Run `work(spec, shared, threads)` for every task not in `cache_dir`; all results by key.

    `work` must be a top-level function (Ray pickles it by reference); `shared` is read-only
    and goes to Ray's object store once. The first failure stops the study with a
    TaskFailedError naming the task; what finished before it stays cached.
    """
    _check_arguments(tasks, engine, max_parallel, threads_per_task)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    for task in tasks:
        cached = _read_cached(cache_dir / f"{task.key}.json")
        if cached is not None:
            results[task.key] = cached
    pending = [task for task in tasks if task.key not in results]
    if results:
        report(f"study: {len(results)} of {len(tasks)} from cache")
    parallel = max_parallel if engine == "ray" else 1
    progress = Progress(total=len(tasks), done=len(results), parallel=parallel)

    def finish(task: Task, result: Any, seconds: float) -> None:
        if not isinstance(result, Mapping):
            raise TaskFailedError(f"study task {task.label!r} returned {type(result).__name__}")
        try:
            text = json.dumps(result, indent=2, sort_keys=True, allow_nan=False) + "\n"
        except (TypeError, ValueError) as error:
            raise TaskFailedError(f"study task {task.label!r} returned no JSON: {error}") from error
        _write_text_atomically(cache_dir / f"{task.key}.json", text)
        results[task.key] = json.loads(text)
        report(progress.finished(task.label, seconds))

    if engine == "in_process":
        _run_in_process(pending, work, shared, threads_per_task, finish)
    elif pending:
        _run_on_ray(pending, work, shared, max_parallel, threads_per_task, finish)
    return {task.key: results[task.key] for task in tasks}


def failure_message(task: Task, cause: BaseException) -> str:
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"study task {task.label!r} failed: {type(cause).__name__}: {first_line}"


def _run_in_process(
    pending: Sequence[Task],
    work: Work,
    shared: Any,
    threads: int,
    finish: Callable[[Task, Any, float], None],
) -> None:
    for task in pending:
        start = time.perf_counter()
        try:
            result = work(task.spec, shared, threads)
        except Exception as error:
            raise TaskFailedError(failure_message(task, error)) from error
        finish(task, result, time.perf_counter() - start)


def _run_on_ray(
    pending: Sequence[Task],
    work: Work,
    shared: Any,
    max_parallel: int,
    threads: int,
    finish: Callable[[Task, Any, float], None],
) -> None:
    """Keep up to `max_parallel` tasks in flight; cache each result as soon as it arrives."""
    import ray  # only this engine needs Ray installed

    started_here = not ray.is_initialized()
    if started_here:
        ray_cluster.connect(local_cpus=max_parallel * threads)
    # A fresh worker per task (max_calls=1) so each sets TensorFlow's threads before it starts.
    # No retries: a crashed worker (out of memory, killed) is reported at once, naming the task;
    # running the study again retries only what is missing.
    remote_work = ray.remote(num_cpus=threads, max_calls=1, max_retries=0)(work)
    # Task and submission time of each task in flight. Timed from submission, so a task's
    # seconds include starting its worker: the time a slot is busy, which is what the
    # estimate of the time left needs.
    in_flight: dict[Any, tuple[Task, float]] = {}
    try:
        shared_reference = ray.put(shared)
        waiting = list(reversed(pending))
        while waiting or in_flight:
            while waiting and len(in_flight) < max_parallel:
                task = waiting.pop()
                reference = remote_work.remote(task.spec, shared_reference, threads)
                in_flight[reference] = (task, time.perf_counter())
            [ready], _ = ray.wait(list(in_flight), num_returns=1)
            task, submitted = in_flight.pop(ready)
            try:
                result = ray.get(ready)
            except ray.exceptions.RayError as error:
                raise TaskFailedError(failure_message(task, _cause(error))) from error
            finish(task, result, time.perf_counter() - submitted)
    finally:
        for reference in in_flight:
            ray.cancel(reference, force=True)
        if started_here:
            ray_cluster.disconnect()


def _cause(error: BaseException) -> BaseException:
    """The exception the task itself raised, when Ray wrapped one (RayTaskError.cause)."""
    cause = getattr(error, "cause", None)
    return cause if isinstance(cause, BaseException) else error
