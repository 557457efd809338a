"""What the study engine's Ray path costs on this machine, inside a loopback-only namespace.

Usage: python -m benchmarks.study_engine [--repeats 3] [--tasks 4]

Re-runs itself under the namespace command of tests/study/loopback.py (Ray must not listen on
the real network), with a throw-away home, auth token and Ray temporary folder. Measures:
  - ray_init: seconds of `ray.init(num_cpus=2)` starting a local Ray (fresh process each time);
  - a no-op task that only imports Keras: in process, the first call (the import) and the
    next (free); on Ray with max_calls=1, seconds per task one at a time (each task starts a
    fresh worker and imports Keras again), from submission to result;
  - two tiny trainings on Ray, one at a time against two at a time.
Prints the medians over repeats and writes every sample to benchmarks/out/study_engine.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mnist_cnn.study.engine import Task, run_tasks, task_key
from tests.study import loopback
from tests.study.tiny_work import import_keras_only, tiny_images, train_tiny_model

RESULTS = Path("benchmarks/out/study_engine.json")
RAY_INIT = "import ray, time; t = time.perf_counter(); ray.init(num_cpus=2); " + (
    "print(time.perf_counter() - t); ray.shutdown()"
)


def tasks_of(kind: str, count: int, repeat: int) -> list[Task]:
    """Distinct keys every repeat, so that nothing comes from the cache."""
    tasks = []
    for index in range(1, count + 1):
        name = f"{kind}{index}"
        spec = {"name": name, "seed": index, "learning_rate": 0.05, "repeat": repeat}
        tasks.append(Task(label=name, spec=spec, key=task_key(spec, {})))
    return tasks


def wall_seconds(tasks: list[Task], work: Any, engine: str, parallel: int) -> float:
    with tempfile.TemporaryDirectory() as cache_dir:
        start = time.perf_counter()
        run_tasks(
            tasks,
            work,
            shared=tiny_images(),
            cache_dir=Path(cache_dir),
            engine=engine,
            max_parallel=parallel,
            threads_per_task=1,
            report=lambda line: None,
        )
        return time.perf_counter() - start


# Seconds of the first no-op call in a fresh interpreter (it imports Keras), then of the next.
IN_PROCESS_NOOP = (
    "import time; from tests.study.tiny_work import import_keras_only as noop; "
    "t0 = time.perf_counter(); noop({}, None, 1); t1 = time.perf_counter(); "
    "noop({}, None, 1); print(t1 - t0, time.perf_counter() - t1)"
)


def in_process_noop() -> tuple[float, float]:
    output = subprocess.run([sys.executable, "-c", IN_PROCESS_NOOP], capture_output=True, text=True)
    first, later = output.stdout.strip().splitlines()[-1].split()
    return float(first), float(later)


def measure(repeats: int, count: int) -> dict[str, list[float]]:
    import ray

    samples: dict[str, list[float]] = {
        "ray_init_seconds": [],
        "noop_in_process_first_task_seconds": [],
        "noop_in_process_later_task_seconds": [],
        "noop_ray_seconds_per_task": [],
        "tiny_training_ray_1_at_a_time_seconds": [],
        "tiny_training_ray_2_at_a_time_seconds": [],
    }
    for repeat in range(repeats):
        init = subprocess.run([sys.executable, "-c", RAY_INIT], capture_output=True, text=True)
        samples["ray_init_seconds"].append(float(init.stdout.strip().splitlines()[-1]))
        first, later = in_process_noop()
        samples["noop_in_process_first_task_seconds"].append(first)
        samples["noop_in_process_later_task_seconds"].append(later)
        ray.init(num_cpus=2)
        try:
            noop = tasks_of("noop", count, repeat)
            ray_noop = wall_seconds(noop, import_keras_only, "ray", 1) / count
            samples["noop_ray_seconds_per_task"].append(ray_noop)
            # Alternate the order so that a busy moment does not always hit the same variant.
            for parallel in (1, 2) if repeat % 2 == 0 else (2, 1):
                trainings = tasks_of(f"tiny{parallel}", 2, repeat)
                seconds = wall_seconds(trainings, train_tiny_model, "ray", parallel)
                samples[f"tiny_training_ray_{parallel}_at_a_time_seconds"].append(seconds)
        finally:
            ray.shutdown()
    return samples


def inside(arguments: argparse.Namespace) -> int:
    samples = measure(arguments.repeats, arguments.tasks)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {"samples": samples, "medians": medians, "cpus": os.cpu_count()}
    RESULTS.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    for name, value in medians.items():
        print(f"{name:42s} {value:8.3f}  ({', '.join(f'{v:.3f}' for v in samples[name])})")
    return 0


def outside(arguments: argparse.Namespace) -> int:
    """Run this script again inside the namespace, with nothing of Ray's left behind."""
    scratch = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    try:
        token = scratch / "auth_token"
        token.write_text(secrets.token_hex(32))
        token.chmod(0o600)
        (scratch / "home").mkdir()
        environment = {
            **{key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"},
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN_PATH": str(token),
            "RAY_TMPDIR": str(scratch),
            "HOME": str(scratch / "home"),
            "KERAS_BACKEND": "tensorflow",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONPATH": str(loopback.REPO_ROOT),
        }
        command = [*loopback.NAMESPACE_COMMAND, sys.executable, "-m", "benchmarks.study_engine"]
        command += [
            "--inside",
            "--repeats",
            str(arguments.repeats),
            "--tasks",
            str(arguments.tasks),
        ]
        return subprocess.run(command, env=environment, cwd=loopback.REPO_ROOT).returncode
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=4, help="no-op tasks per repeat")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.inside:
        loopback.run_as_namespace_init(lambda: inside(arguments))
    sys.exit(outside(arguments))


if __name__ == "__main__":
    main()
