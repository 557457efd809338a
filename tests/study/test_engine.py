"""The study engine: keys, cache, resume, failures and progress in this process (fast), then
the same tasks on a local Ray and on a Ray head, each inside a loopback-only namespace (slow)."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mnist_cnn.study import engine, runs
from mnist_cnn.study.engine import Progress, Task, TaskFailedError, run_tasks, task_key
from tests.study import loopback
from tests.study.tiny_work import EVENTS_VARIABLE, read_events, scale_value

# --- fast: the engine's bookkeeping, with a work function that costs nothing ---------------


def make_task(name: str, value: float, **extra: Any) -> Task:
    spec = {"name": name, "value": value, **extra}
    return Task(label=f"task {name}", spec=spec, key=task_key(spec, {"data": "abc"}))


@pytest.fixture
def events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "events.log"
    monkeypatch.setenv(EVENTS_VARIABLE, str(path))
    return path


def run_in_process(tasks: list[Task], cache_dir: Path, lines: list[str]) -> dict[str, Any]:
    return run_tasks(
        tasks,
        scale_value,
        shared={"factor": 10},
        cache_dir=cache_dir,
        engine="in_process",
        max_parallel=1,
        threads_per_task=3,
        report=lines.append,
    )


def test_task_key_is_sha256_of_canonical_json():
    spec = {"seed": 3, "model": "B_adj"}
    expected_text = '{"inputs":{"train":"ff00"},"spec":{"model":"B_adj","seed":3}}'
    expected = hashlib.sha256(expected_text.encode()).hexdigest()
    assert task_key(spec, {"train": "ff00"}) == expected
    assert task_key({"model": "B_adj", "seed": 3}, {"train": "ff00"}) == expected
    assert task_key(spec, {"train": "ff01"}) != expected
    assert task_key({**spec, "seed": 4}, {"train": "ff00"}) != expected


@pytest.mark.parametrize("key", ["", "../escape", ".hidden", "a/b"])
def test_task_refuses_a_key_that_is_not_a_plain_file_name(key):
    with pytest.raises(ValueError, match="not a plain file name"):
        Task(label="B seed 1", spec={}, key=key)


def test_in_process_runs_every_task_and_caches_each_result(tmp_path, events):
    tasks = [make_task("a", 1), make_task("b", 2)]
    lines: list[str] = []
    results = run_in_process(tasks, tmp_path / "cache", lines)
    assert results == {
        tasks[0].key: {"threads": 3, "value": 10},
        tasks[1].key: {"threads": 3, "value": 20},
    }
    assert list(results) == [task.key for task in tasks]
    record, problem = runs.read_record(tmp_path / "cache" / f"{tasks[1].key}.json")
    assert problem == ""
    assert record["result"] == {"threads": 3, "value": 20}
    assert (record["task"], record["label"], record["code"]) == (tasks[1].key, "task b", "")
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == sorted(
        f"{task.key}.json" for task in tasks
    )
    assert lines[0].startswith("study: 1/2 done (task a, 0 s); about 0 s left")
    assert lines[1] == "study: 2/2 done (task b, 0 s)"


def test_cached_tasks_are_not_run_again(tmp_path, events):
    tasks = [make_task("a", 1), make_task("b", 2), make_task("c", 3)]
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    # As if a killed study had finished "a" and "c": a result the work could not produce.
    for task in (tasks[0], tasks[2]):
        record = runs.make_record(
            task=task.key, label=task.label, code="", result={"value": -1}, ran_on={}, seconds=1
        )
        runs.write_record(cache_dir / f"{task.key}.json", record)
    lines: list[str] = []
    results = run_in_process(tasks, cache_dir, lines)
    assert [name for event, name, _, _ in read_events(events) if event == "start"] == ["b"]
    assert results[tasks[0].key] == {"value": -1}
    assert results[tasks[1].key] == {"threads": 3, "value": 20}
    assert lines == ["study: 2 of 3 from stored results", "study: 3/3 done (task b, 0 s)"]


def test_a_failing_task_is_named_and_what_finished_stays_cached(tmp_path, events):
    tasks = [make_task("a", 1), make_task("b", 2, fail=True), make_task("c", 3)]
    with pytest.raises(
        TaskFailedError, match=r"^study task 'task b' failed: RuntimeError: asked to fail on b$"
    ):
        run_in_process(tasks, tmp_path / "cache", [])
    assert [path.stem for path in (tmp_path / "cache").iterdir()] == [tasks[0].key]
    assert "c" not in [name for _, name, _, _ in read_events(events)]


def test_a_record_that_is_not_an_object_is_one_warning_and_trained_again(tmp_path, events):
    task = make_task("a", 1)
    (tmp_path / f"{task.key}.json").write_text("[1, 2]")
    lines: list[str] = []
    assert run_in_process([task], tmp_path, lines) == {task.key: {"threads": 3, "value": 10}}
    assert lines[0] == (
        f"study: warning: {tmp_path / task.key}.json: a JSON list, not an object; "
        "not used, task a is trained again"
    )


def test_a_result_that_is_not_json_fails_the_task(tmp_path, events):
    task = make_task("a", 1e308)  # times the shared factor 10: infinity
    with pytest.raises(TaskFailedError, match="study task 'task a' returned no JSON"):
        run_in_process([task], tmp_path / "cache", [])
    assert not list((tmp_path / "cache").iterdir())


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"engine": "dask"}, "unknown engine 'dask'; expected one of in_process, ray"),
        ({"max_parallel": 0}, "max_parallel must be a positive integer, got 0"),
        ({"threads_per_task": True}, "threads_per_task must be a positive integer, got True"),
    ],
)
def test_run_tasks_refuses_bad_arguments(tmp_path, arguments, message):
    settings = {"engine": "in_process", "max_parallel": 1, "threads_per_task": 1, **arguments}
    with pytest.raises(ValueError, match=message):
        run_tasks([], scale_value, shared=None, cache_dir=tmp_path, **settings)


def test_run_tasks_refuses_two_tasks_with_one_key(tmp_path):
    first = make_task("a", 1)
    twin = Task(label="task a again", spec=first.spec, key=first.key)
    with pytest.raises(ValueError, match="tasks 'task a' and 'task a again' share the key"):
        run_in_process([first, twin], tmp_path, [])


def test_progress_estimates_from_mean_time_tasks_left_and_parallelism():
    progress = Progress(total=25, done=6, parallel=2)
    # 18 tasks left at 96 s each, 2 at a time: 18 * 96 / 2 = 864 s = 14.4 min.
    assert progress.finished("B_adj seed 3", 96) == (
        "study: 7/25 done (B_adj seed 3, 96 s); about 14 min left"
    )
    # Mean of 96 s and 120 s is 108 s; 17 left, 2 at a time: 918 s = 15.3 min.
    assert progress.finished("B seed 1", 120).endswith("(B seed 1, 2 min); about 15 min left")


def test_progress_with_fewer_tasks_left_than_parallel_slots():
    progress = Progress(total=3, done=1, parallel=4)
    # One task left: it alone takes the mean, however many slots are free.
    assert progress.finished("A seed 2", 30) == "study: 2/3 done (A seed 2, 30 s); about 30 s left"


@pytest.mark.parametrize(
    "seconds, text",
    [(0.4, "0 s"), (119, "119 s"), (120, "2 min"), (7199, "120 min"), (9000, "2.5 h")],
)
def test_format_duration(seconds, text):
    assert engine.format_duration(seconds) == text


# --- slow: real Ray, inside a private loopback-only namespace -----------------------------

UNAVAILABLE = loopback.unavailable_reason()
needs_ray_namespace = pytest.mark.skipif(UNAVAILABLE is not None, reason=str(UNAVAILABLE))


def processes_mentioning(text: str) -> list[str]:
    """Command lines of this machine's processes that contain `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # not a process, or it ended while we looked
            continue
        if text in command:
            found.append(command)
    return found


@pytest.fixture(scope="module")
def ray_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Token authentication on with a token of our own; nothing written to the real home."""
    folder = tmp_path_factory.mktemp("ray-environment")
    token = folder / "auth_token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    (folder / "home").mkdir()
    # Ray's socket paths live under RAY_TMPDIR and must stay below 108 bytes: a short folder.
    ray_temporary = tempfile.mkdtemp(prefix="ray-test-")
    yield {
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token),
        "RAY_TMPDIR": ray_temporary,
        "HOME": str(folder / "home"),
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    shutil.rmtree(ray_temporary, ignore_errors=True)


def run_scenario(name: str, out_dir: Path, environment: dict[str, str]) -> dict[str, Any]:
    result = loopback.run_scenario(name, out_dir, environment, timeout=600)
    assert result.returncode == 0, f"scenario {name} failed:\n{result.stderr[-4000:]}"
    # Process 1 of the namespace has ended, so the kernel has killed anything left in it.
    assert processes_mentioning(environment["RAY_TMPDIR"]) == []
    return json.loads((out_dir / "summary.json").read_text())


@pytest.fixture(scope="module")
def local_run(
    tmp_path_factory: pytest.TempPathFactory, ray_environment: dict[str, str]
) -> tuple[Path, dict[str, Any]]:
    out_dir = tmp_path_factory.mktemp("local")
    return out_dir, run_scenario("local", out_dir, ray_environment)


def cached_bytes(cache_dir: Path) -> dict[str, bytes]:
    """Each record's result as bytes (its time and machine may differ between engines)."""
    return {
        path.name: runs.canonical_json(json.loads(path.read_bytes())["result"]).encode()
        for path in sorted(cache_dir.glob("*.json"))
    }


@pytest.mark.slow
@needs_ray_namespace
def test_local_ray_gives_byte_identical_results_to_in_process(local_run):
    out_dir, summary = local_run
    in_process = cached_bytes(out_dir / "in_process")
    assert len(in_process) == 2
    assert cached_bytes(out_dir / "ray") == in_process
    assert all(b'"final_loss":' in text for text in in_process.values())
    assert summary["ray"]["report"][-1].startswith("study: 2/2 done (tiny seed")


@pytest.mark.slow
@needs_ray_namespace
def test_local_ray_runs_two_tasks_at_once_in_fresh_processes(local_run):
    out_dir, _ = local_run
    spans = task_spans(out_dir / "ray.events")
    assert sorted(spans) == ["tiny1", "tiny2"]
    (start_1, end_1, process_1), (start_2, end_2, process_2) = spans["tiny1"], spans["tiny2"]
    assert process_1 != process_2
    assert start_1 < end_2 and start_2 < end_1, f"no overlap: {spans}"
    # In process, one after the other in one process.
    serial = task_spans(out_dir / "in_process.events")
    assert serial["tiny1"][2] == serial["tiny2"][2]
    assert serial["tiny1"][1] <= serial["tiny2"][0]


@pytest.mark.slow
@needs_ray_namespace
def test_a_task_failing_on_ray_is_named_and_stops_the_study(local_run):
    out_dir, summary = local_run
    assert summary["failure"] == (
        "TaskFailedError: study task 'bad task' failed: RuntimeError: asked to fail on bad"
    )
    cached = [
        json.loads(path.read_text())["result"] for path in (out_dir / "failing").glob("*.json")
    ]
    assert cached == [{"threads": 1, "value": 10}]


def task_spans(events_file: Path) -> dict[str, tuple[float, float, int]]:
    """(start, end, process id) of each task in an events file."""
    starts: dict[str, tuple[float, int]] = {}
    spans = {}
    for event, name, process, moment in read_events(events_file):
        if event == "start":
            starts[name] = (moment, process)
        else:
            assert starts[name][1] == process
            spans[name] = (starts[name][0], moment, process)
    return spans


@pytest.mark.slow
@needs_ray_namespace
def test_ray_head_joined_through_ray_address_gives_identical_results(
    tmp_path, ray_environment, local_run
):
    summary = run_scenario("head", tmp_path, ray_environment)
    local_dir, _ = local_run
    assert cached_bytes(tmp_path / "head") == cached_bytes(local_dir / "in_process")
    # Authentication is on: a driver without RAY_AUTH_MODE=token is turned away.
    assert summary["unauthenticated_driver"]["returncode"] != 0
    assert summary["unauthenticated_driver"]["refused_for_token"]
    # With RAY_ADDRESS unset, the engine started a Ray of its own beside the running head.
    assert summary["local_beside_head"] == "no error"
    assert summary["ray_stop_returncode"] == 0
    assert summary["processes_after_stop"] == []
    assert not (Path(ray_environment["HOME"]) / ".ray").exists()


@pytest.mark.slow
@needs_ray_namespace
def test_a_killed_ray_study_resumes_without_rerunning_finished_tasks(tmp_path, ray_environment):
    summary = run_scenario("resume", tmp_path, ray_environment)
    assert not summary["first_run_finished_by_itself"]
    cached_at_kill = summary["cached_at_kill"]
    assert 1 <= len(cached_at_kill) < len(summary["keys"])
    assert summary["second_run_returncode"] == 0
    assert (
        summary["second_run_report"][0] == f"study: {len(cached_at_kill)} of 3 from stored results"
    )
    assert [path.stem for path in runs.json_files(tmp_path / "cache")] == sorted(summary["keys"])
    # Each task cached before the kill started exactly once, over both runs together.
    names_by_key = dict(zip(summary["keys"], ["tiny1", "tiny2", "tiny3"], strict=True))
    starts = [
        name for event, name, _, _ in read_events(tmp_path / "resume.events") if event == "start"
    ]
    for key in cached_at_kill:
        assert starts.count(names_by_key[key]) == 1, starts
    assert set(starts) == {"tiny1", "tiny2", "tiny3"}


@pytest.mark.slow
@needs_ray_namespace
def test_the_real_seeds_stage_gives_the_same_bytes_in_process_on_local_ray_and_on_a_head(
    tmp_path, ray_environment
):
    summary = run_scenario("real_study", tmp_path, ray_environment)
    in_process = summary["in_process"]
    # Two models x two seeds, each a real training of the declared network on tiny data.
    assert len(in_process["results"]) == 4
    for where in ("local_ray", "head"):
        assert summary[where]["results"] == in_process["results"], where
        assert summary[where]["metrics"] == in_process["metrics"], where
    metrics = json.loads(in_process["metrics"])
    assert set(metrics["A"]) == {"mean", "sd"}
    assert set(metrics) == {"A", "B_adj2", "A_vs_B_adj2"}
    assert summary["ray_stop_returncode"] == 0
    assert summary["processes_after_stop"] == []
