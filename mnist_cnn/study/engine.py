"""Independent trainings fanned out in this process or on Ray: resumable, with progress.

A study trains many models (recipes x seeds) that share nothing but read-only inputs. Each task
is one call `work(spec, shared, threads)` returning a JSON object. Its record
(mnist_cnn/study/runs.py: the result, the code fingerprint, the machine, a checksum) is written
the moment it finishes to `cache_dir/<key>.json` and, when given, to `runs_dir/<label>.json`
(committed), so a study that is killed resumes without training again what already finished,
on this machine or on another. The key is the caller's hash of everything the result depends
on (`task_key`) except the code: a record made by other code is reused only once a sample of
one task per group, trained again, matches its record byte for byte (`run_tasks`).

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
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnist_cnn.study import ray_cluster
from mnist_cnn.study.runs import RAN_ON, Check, Store, canonical_json, file_name, this_machine

ENGINES = ("in_process", "ray")
# A key becomes a file name: no separators, no leading dot (hidden files are temporaries).
KEY_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]*")

Work = Callable[[Any, Any, int], Mapping[str, Any]]
Report = Callable[[str], None]


class TaskFailedError(RuntimeError):
    """A task raised or its worker died; the message names the task."""


def task_key(spec: Any, input_hashes: Mapping[str, str]) -> str:
    """sha256 of the task's spec and its inputs' hashes: equal keys, equal results."""
    text = canonical_json({"inputs": input_hashes, "spec": spec})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Task:
    """One training: `label` for people ("B_adj seed 3"), `spec` for `work` (any picklable
    value), `key` for the cache."""

    label: str
    spec: Any
    key: str
    # Tasks of one group (one model) share code paths: a code change is checked on one of each.
    group: str = ""

    def __post_init__(self) -> None:
        if not KEY_PATTERN.fullmatch(self.key):
            raise ValueError(f"task {self.label!r}: key {self.key!r} is not a plain file name")


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
    labels_by_file: dict[str, str] = {}
    for task in tasks:
        name = file_name(task.label)
        if name in labels_by_file:
            raise ValueError(f"tasks {labels_by_file[name]!r} and {task.label!r} share {name}")
        labels_by_file[name] = task.label


def run_tasks(
    tasks: Sequence[Task],
    work: Work,
    *,
    shared: Any,
    cache_dir: Path,
    engine: str,
    max_parallel: int,
    threads_per_task: int,
    code: str = "",
    runs_dir: Path | None = None,
    check: Check | None = None,
    report: Report = report_to_stderr,
) -> dict[str, dict[str, Any]]:
    """Run `work(spec, shared, threads)` for every task without a usable record; all results
    by key.

    `code` fingerprints the code on the training path: a record made by other code is reused
    only after a sample retrained now matches its record byte for byte (`_verify_stale`).
    `check(result)` says why a stored result is inconsistent, or None. `work` must be a
    top-level function (Ray pickles it by reference); `shared` is read-only and goes to Ray's
    object store once. The first failure stops the study with a TaskFailedError naming the
    task; what finished before it stays recorded.
    """
    _check_arguments(tasks, engine, max_parallel, threads_per_task)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    store = Store(Path(cache_dir), None if runs_dir is None else Path(runs_dir), check)
    stored = {task.key: record for task in tasks if (record := store.find(task, report))}
    parallel = max_parallel if engine == "ray" else 1
    results: dict[str, dict[str, Any]] = {}
    trained_here: set[str] = set()

    def train(batch: Sequence[Task], progress: Progress) -> None:
        def finish(task: Task, returned: Any, seconds: float) -> None:
            result, ran_on = _split_result(task, returned)
            results[task.key] = store.save(task, result, ran_on, code, seconds)["result"]
            trained_here.add(task.key)
            report(progress.finished(task.label, seconds))

        if engine == "in_process":
            _run_in_process(batch, work, shared, threads_per_task, finish)
        elif batch:
            _run_on_ray(batch, work, shared, max_parallel, threads_per_task, finish)

    results.update(
        {key: record["result"] for key, record in stored.items() if record["code"] == code}
    )
    stale = [task for task in tasks if task.key in stored and task.key not in results]
    if stale:
        sample = verification_sample(stale)
        report(
            f"study: the code on the training path changed since {len(stale)} stored results "
            f"were made; retraining {len(sample)} (one per model) to compare byte for byte"
        )
        train(sample, Progress(total=len(sample), done=0, parallel=parallel))
        if _verify_stale(sample, stale, stored, results, report):
            for task in stale:
                if task.key not in results:
                    results[task.key] = store.restamp(task, stored[task.key], code)["result"]
    pending = [task for task in tasks if task.key not in results]
    if len(results) > len(trained_here):
        report(f"study: {len(results) - len(trained_here)} of {len(tasks)} from stored results")
    train(pending, Progress(total=len(tasks), done=len(tasks) - len(pending), parallel=parallel))
    store.keep_only(tasks)
    return {task.key: results[task.key] for task in tasks}


def verification_sample(stale: Sequence[Task]) -> list[Task]:
    """The first task of each group: every model's code path is exercised once."""
    first: dict[str, Task] = {}
    for task in stale:
        first.setdefault(task.group, task)
    return list(first.values())


def _verify_stale(
    sample: Sequence[Task],
    stale: Sequence[Task],
    stored: Mapping[str, Mapping[str, Any]],
    results: Mapping[str, Mapping[str, Any]],
    report: Report,
) -> bool:
    """Whether every retrained sample equals its stored result byte for byte; says which."""
    others = len(stale) - len(sample)
    for task in sample:
        if canonical_json(results[task.key]) != canonical_json(stored[task.key]["result"]):
            report(
                f"study: {task.label} came out different from its stored result; the code "
                f"change alters results, so all {others} others stored under the old code "
                "are trained again"
            )
            return False
    report(
        f"study: all {len(sample)} came out byte for byte the same; the other {others} "
        "stored results are reused under the new code"
    )
    return True


def _split_result(task: Task, returned: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The result as JSON, and the machine it ran on (work may name it under RAN_ON)."""
    if not isinstance(returned, Mapping):
        raise TaskFailedError(f"study task {task.label!r} returned {type(returned).__name__}")
    result = dict(returned)
    ran_on = result.pop(RAN_ON, None) or this_machine()
    try:
        text = canonical_json({"ran_on": ran_on, "result": result})
    except (TypeError, ValueError) as error:
        raise TaskFailedError(f"study task {task.label!r} returned no JSON: {error}") from error
    parsed = json.loads(text)
    return parsed["result"], parsed["ran_on"]


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
