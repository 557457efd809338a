"""The engine's Ray scenarios, run inside the loopback-only namespace (see loopback.py).

Usage: python -m tests.study.ray_scenario {local,head,resume,study,real_study} OUT_DIR

Each scenario writes what it saw to OUT_DIR/summary.json (and the task results to cache
folders under OUT_DIR) for the test that started it to check. The environment must carry
RAY_AUTH_MODE=token and RAY_AUTH_TOKEN_PATH (an existing token file), so that neither a local
Ray nor the head writes a token into the home folder. Each run records which tasks ran, where
and when, in OUT_DIR/<run>.events (see tiny_work.record_event).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mnist_cnn.study import headline
from mnist_cnn.study.engine import Task, TaskFailedError, run_tasks, task_key
from mnist_cnn.study.runs import json_files
from tests.study.loopback import run_as_namespace_init
from tests.study.tiny_work import EVENTS_VARIABLE, scale_value, tiny_images, train_tiny_model

# Every port is free in a network namespace of our own; 6390 is not Ray's default (6379).
HEAD_PORT = 6390
HEAD_ADDRESS = f"127.0.0.1:{HEAD_PORT}"
RAY = str(Path(sys.executable).parent / "ray")
RESUME_TASKS = 3


def tiny_tasks(count: int) -> list[Task]:
    """`count` tiny trainings that differ in their seed."""
    tasks = []
    for seed in range(1, count + 1):
        spec = {"name": f"tiny{seed}", "seed": seed, "learning_rate": 0.05}
        key = task_key(spec, {"images": "tiny_images(seed=0)"})
        tasks.append(Task(label=f"tiny seed {seed}", spec=spec, key=key))
    return tasks


def study(cache_dir: Path, engine: str, count: int, report_lines: list[str]) -> dict[str, Any]:
    return run_tasks(
        tiny_tasks(count),
        train_tiny_model,
        shared=tiny_images(),
        cache_dir=cache_dir,
        engine=engine,
        max_parallel=2 if engine == "ray" else 1,
        threads_per_task=1,
        report=report_lines.append,
    )


def write_summary(out_dir: Path, summary: dict[str, Any]) -> None:
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))


def record_events_in(path: Path) -> None:
    """Set before Ray starts: a local Ray's workers and a head's inherit the environment then."""
    os.environ[EVENTS_VARIABLE] = str(path)


def timed_study(out_dir: Path, name: str, engine: str) -> dict[str, Any]:
    """Two tiny trainings cached in OUT_DIR/NAME, events in OUT_DIR/NAME.events."""
    record_events_in(out_dir / f"{name}.events")
    lines: list[str] = []
    start = time.perf_counter()
    study(out_dir / name, engine, 2, lines)
    return {"report": lines, "seconds": time.perf_counter() - start}


def cheap_study_on_ray(out_dir: Path, name: str, specs: list[dict[str, Any]]) -> str:
    """Cheap tasks one at a time on Ray; "no error", or the error the engine gave."""
    record_events_in(out_dir / f"{name}.events")
    tasks = [Task(f"{spec['name']} task", spec, task_key(spec, {})) for spec in specs]
    try:
        run_tasks(
            tasks,
            scale_value,
            shared={"factor": 10},
            cache_dir=out_dir / name,
            engine="ray",
            max_parallel=1,
            threads_per_task=1,
            report=lambda line: None,
        )
    except (TaskFailedError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    return "no error"


def failing_study_on_ray(out_dir: Path) -> str:
    """A good task, then one that raises."""
    specs = [{"name": "good", "value": 1}, {"name": "bad", "value": 2, "fail": True}]
    return cheap_study_on_ray(out_dir, "failing", specs)


def local(out_dir: Path) -> int:
    """Two tiny trainings in this process, then on a local Ray started by the engine; then a
    study on Ray whose second task fails."""
    write_summary(
        out_dir,
        {
            "in_process": timed_study(out_dir, "in_process", "in_process"),
            "ray": timed_study(out_dir, "ray", "ray"),
            "failure": failing_study_on_ray(out_dir),
        },
    )
    return 0


def other_processes() -> list[str]:
    """Command lines of every process in this namespace except this one and process 1."""
    mine = {1, os.getpid()}
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in mine:
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").strip()
            except OSError:  # ended while we looked
                continue
            if command:
                found.append(command.decode(errors="replace"))
    return found


def unauthenticated_driver() -> dict[str, Any]:
    """A driver without RAY_AUTH_MODE=token tries to join the head: it must be refused."""
    environment = {key: value for key, value in os.environ.items() if key != "RAY_AUTH_MODE"}
    # Fail after 2 s instead of Ray's 20 connection attempts.
    environment.update(RAY_ADDRESS=HEAD_ADDRESS, RAY_gcs_server_port_wait_time_s="2")
    attempt = subprocess.run(
        [sys.executable, "-c", "import ray; ray.init()"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return {
        "returncode": attempt.returncode,
        "refused_for_token": "AuthenticationError" in attempt.stderr,
    }


def head(out_dir: Path) -> int:
    """A head started with `ray start`, joined by the engine through RAY_ADDRESS, then stopped."""
    start_head = [RAY, "start", "--head", "--node-ip-address", "127.0.0.1"]
    start_head += ["--port", str(HEAD_PORT), "--num-cpus", "2", "--disable-usage-stats"]
    start_head += ["--include-dashboard", "false"]
    summary: dict[str, Any] = {}
    record_events_in(out_dir / "head.events")
    try:
        subprocess.run(start_head, check=True, capture_output=True, text=True, timeout=300)
        summary["unauthenticated_driver"] = unauthenticated_driver()
        # RAY_ADDRESS unset while `ray start` has recorded this head: the engine must start a
        # Ray of its own (joining the head with num_cpus given would be a ValueError).
        specs = [{"name": "beside_head", "value": 1}]
        summary["local_beside_head"] = cheap_study_on_ray(out_dir, "beside_head", specs)
        os.environ["RAY_ADDRESS"] = HEAD_ADDRESS
        summary["ray"] = timed_study(out_dir, "head", "ray")
    finally:
        stopped = subprocess.run([RAY, "stop"], capture_output=True, text=True, timeout=300)
        summary["ray_stop_returncode"] = stopped.returncode
        summary["processes_after_stop"] = other_processes()
        write_summary(out_dir, summary)
    return 0


def study_until_killed(out_dir: Path) -> int:
    """The study the resume scenario kills: results in OUT_DIR/cache, progress on stderr."""
    lines: list[str] = []
    try:
        study(out_dir / "cache", "ray", RESUME_TASKS, lines)
    finally:
        print("\n".join(lines), file=sys.stderr, flush=True)
    return 0


def resume(out_dir: Path) -> int:
    """Kill a Ray study once its first result is cached; run it again to the end."""
    cache = out_dir / "cache"
    record_events_in(out_dir / "resume.events")
    command = [sys.executable, "-m", "tests.study.ray_scenario", "study", str(out_dir)]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not json_files(cache) and first.poll() is None:
        time.sleep(0.05)
    first.kill()
    first.wait()
    cached_at_kill = [path.stem for path in json_files(cache)]
    second = subprocess.run(command, capture_output=True, text=True, timeout=600)
    write_summary(
        out_dir,
        {
            "first_run_finished_by_itself": first.returncode == 0,
            "cached_at_kill": cached_at_kill,
            "second_run_returncode": second.returncode,
            "second_run_report": [
                line for line in second.stderr.splitlines() if line.startswith("study:")
            ],
            "keys": [task.key for task in tiny_tasks(RESUME_TASKS)],
        },
    )
    return 0


def seeds_study(out_dir: Path, name: str, engine: str) -> dict[str, Any]:
    """The study's real seeds stage on a tiny workspace; its metrics and cached task results."""
    from mnist_cnn.pipeline import study as study_stages
    from tests.study.tiny_study import prepared_study

    layout, params = prepared_study(out_dir / name, engine)
    started = time.perf_counter()
    study_stages.seeds(layout, params)
    cache = layout.root / params.runtime.study_cache_dir
    return {
        "seconds": time.perf_counter() - started,
        "metrics": json.dumps(headline.read_headline(layout.study_metrics("seeds"))),
        # Each record's result: its time and machine differ from engine to engine.
        "results": {
            path.name: json.dumps(json.loads(path.read_text())["result"], sort_keys=True)
            for path in sorted(cache.glob("*.json"))
        },
    }


def real_study(out_dir: Path) -> int:
    """The seeds stage of the real study: in this process, on a local Ray (two trainings at a
    time), and on a token-authenticated head started here and joined through RAY_ADDRESS."""
    summary: dict[str, Any] = {
        "in_process": seeds_study(out_dir, "in_process", "in_process"),
        "local_ray": seeds_study(out_dir, "local_ray", "ray"),
    }
    start_head = [RAY, "start", "--head", "--node-ip-address", "127.0.0.1"]
    start_head += ["--port", str(HEAD_PORT), "--num-cpus", "2", "--disable-usage-stats"]
    start_head += ["--include-dashboard", "false"]
    try:
        subprocess.run(start_head, check=True, capture_output=True, text=True, timeout=300)
        os.environ["RAY_ADDRESS"] = HEAD_ADDRESS
        summary["head"] = seeds_study(out_dir, "head", "ray")
    finally:
        os.environ.pop("RAY_ADDRESS", None)
        stopped = subprocess.run([RAY, "stop"], capture_output=True, text=True, timeout=300)
        summary["ray_stop_returncode"] = stopped.returncode
        summary["processes_after_stop"] = other_processes()
        write_summary(out_dir, summary)
    return 0


SCENARIOS = {"local": local, "head": head, "resume": resume, "real_study": real_study}


def main() -> None:
    scenario, out_dir = sys.argv[1], Path(sys.argv[2])
    if scenario == "study":  # the killable child of `resume`, already inside the namespace
        sys.exit(study_until_killed(out_dir))
    if scenario not in SCENARIOS:
        raise SystemExit(f"unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
    run_as_namespace_init(lambda: SCENARIOS[scenario](out_dir))


if __name__ == "__main__":
    main()
