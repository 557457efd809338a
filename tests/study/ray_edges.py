"""Ray's edges, run inside the loopback-only namespace (see loopback.py).

Usage: python -m tests.study.ray_edges {addresses,kills} OUT_DIR
       python -m tests.study.ray_edges stage OUT_DIR SECONDS   (the study that gets killed)

`stage` is a study as thin as stages/study.py: the engine on Ray under mnist_cnn.cli.guarded
(one `error:` line, exit 2), with tasks that each sleep SECONDS after writing a marker file, so
that a test can kill it while Ray is up and a task runs. `addresses` runs it with each kind of
RAY_ADDRESS; `kills` kills it (or the `dvc repro` running it) with SIGINT or SIGKILL and
watches how long any other process of the namespace lives on. Both write OUT_DIR/summary.json.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mnist_cnn.cli import guarded
from mnist_cnn.study.engine import Task, run_tasks, task_key
from tests.study.loopback import REPO_ROOT, run_as_namespace_init
from tests.study.ray_scenario import other_processes

# A study's Ray must be gone this long after its driver was signalled (see ray_cluster.py:
# the guardian polls every 0.5 s and kills for at most 10 s; the rest is margin for a
# loaded 2-core machine).
CLEANUP_BOUND_SECONDS = 30.0
# How long starting a local Ray and a first worker may take on a loaded machine.
START_TIMEOUT_SECONDS = 300.0
TASKS = 2
DVC = str(Path(sys.executable).parent / "dvc")


def sleepy_task(spec: Mapping[str, Any], shared: Any, threads: int) -> dict[str, Any]:
    Path(spec["markers"], spec["name"]).write_text(str(os.getpid()))
    time.sleep(spec["seconds"])
    return {"name": spec["name"]}


def stage(out_dir: Path, seconds: float) -> None:
    markers = out_dir / "markers"
    markers.mkdir(parents=True, exist_ok=True)
    specs = [
        {"name": f"sleeper{index}", "seconds": seconds, "markers": str(markers)}
        for index in range(TASKS)
    ]
    tasks = [Task(spec["name"], spec, task_key(spec, {})) for spec in specs]
    guarded(
        lambda: print(
            len(
                run_tasks(
                    tasks,
                    sleepy_task,
                    shared={},
                    cache_dir=out_dir / "cache",
                    engine="ray",
                    max_parallel=1,
                    threads_per_task=1,
                )
            ),
            "results",
        )
    )


def stage_command(out_dir: Path, seconds: float) -> list[str]:
    return [sys.executable, "-m", "tests.study.ray_edges", "stage", str(out_dir), str(seconds)]


def write_summary(out_dir: Path, summary: dict[str, Any]) -> None:
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))


def seconds_until_alone(bound: float) -> float | None:
    """Seconds until no other process is left in the namespace; None if some outlive `bound`."""
    start = time.monotonic()
    while other_processes():
        if time.monotonic() - start > bound:
            return None
        time.sleep(0.2)
    return time.monotonic() - start


def record_a_cluster_that_is_gone() -> None:
    """What a `ray start` that has since died leaves in Ray's temp folder: its address."""
    ray_temp = Path(os.environ["RAY_TMPDIR"]) / "ray"
    ray_temp.mkdir(parents=True, exist_ok=True)
    (ray_temp / "ray_current_cluster").write_text("127.0.0.1:1")


def run_stage_with(out_dir: Path, address: str | None) -> dict[str, Any]:
    environment = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    if address is not None:
        environment["RAY_ADDRESS"] = address
    start = time.monotonic()
    result = subprocess.run(
        stage_command(out_dir, 0),
        env=environment,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
    )
    return {
        "returncode": result.returncode,
        "seconds": time.monotonic() - start,
        "stderr": result.stderr.splitlines(),
        "stdout": result.stdout.splitlines(),
        "processes_left": other_processes(),
    }


def addresses(out_dir: Path) -> int:
    record_a_cluster_that_is_gone()
    cases = {
        "malformed": "garbage",
        "unreachable": "127.0.0.1:1",
        "auto_with_a_dead_recorded_cluster": "auto",
        "unset_with_a_dead_recorded_cluster": None,
    }
    write_summary(
        out_dir,
        {name: run_stage_with(out_dir / name, address) for name, address in cases.items()},
    )
    return 0


def dvc_repository(folder: Path, seconds: float) -> Path:
    """A git and DVC repository whose one stage is the sleepy study."""
    repo = folder / "repo"
    repo.mkdir(parents=True)
    for command in (["git", "init", "-q"], [DVC, "init", "-q"]):
        subprocess.run(command, cwd=repo, check=True, capture_output=True, timeout=120)
    command = " ".join(stage_command(folder, seconds))
    (repo / "dvc.yaml").write_text(
        f"stages:\n  study:\n    cmd: {command}\n    outs:\n      - never_written\n"
    )
    return repo


def kill_case(
    folder: Path, through_dvc: bool, signal_number: int, shell: str = "/bin/sh"
) -> dict[str, Any]:
    """Start the study (through `dvc repro` or directly), kill it once a task runs, and watch."""
    folder.mkdir(parents=True)
    # Long enough that no task ends by itself while the test watches.
    seconds = 600
    # DVC runs the stage as `$SHELL -c COMMAND`: bash replaces itself with the command, dash
    # (/bin/sh on Debian) stays in between as the stage's parent.
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "DVC_NO_ANALYTICS": "1",
        "SHELL": shell,
    }
    if through_dvc:
        repo = dvc_repository(folder, seconds)
        command = [DVC, "repro"]
    else:
        repo, command = folder, stage_command(folder, seconds)
    # A process group of its own, as a shell gives a foreground job: Ctrl-C reaches all of it.
    # stderr to a file, not a pipe: the stage and Ray inherit it and may outlive DVC.
    stderr_path = folder / "stderr.txt"
    with stderr_path.open("wb") as stderr_file:
        process = subprocess.Popen(
            command,
            cwd=repo,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=stderr_file,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    markers = folder / "markers"
    while not (markers.is_dir() and any(markers.iterdir())):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            return {"started": False, "stderr": stderr_path.read_text()[-3000:]}
        time.sleep(0.2)
    before = other_processes()
    # Ctrl-C on a terminal signals the whole foreground group: DVC ignores SIGINT while its
    # stage runs and leaves the stopping to the stage. A `kill -INT` of the stage itself, and
    # SIGKILL, go to the one process.
    if through_dvc and signal_number == signal.SIGINT:
        os.killpg(process.pid, signal_number)
    else:
        os.kill(process.pid, signal_number)
    signalled = time.monotonic()
    try:
        returncode: int | None = process.wait(timeout=CLEANUP_BOUND_SECONDS)
    except subprocess.TimeoutExpired:
        returncode = None  # still running: the test fails on it
    alone_after = seconds_until_alone(CLEANUP_BOUND_SECONDS - (time.monotonic() - signalled))
    return {
        "started": True,
        "returncode": returncode,
        "stderr": stderr_path.read_text().splitlines()[-20:],
        "ray_before": [line[:160] for line in before if "ray" in line],
        "seconds_until_alone": None if alone_after is None else time.monotonic() - signalled,
        "processes_left": other_processes(),
    }


KILL_CASES = {
    "stage_SIGINT": (False, signal.SIGINT, "/bin/sh"),
    "stage_SIGKILL": (False, signal.SIGKILL, "/bin/sh"),
    "dvc_SIGINT": (True, signal.SIGINT, "/bin/sh"),
    "dvc_SIGKILL_sh": (True, signal.SIGKILL, "/bin/sh"),
    "dvc_SIGKILL_bash": (True, signal.SIGKILL, "/bin/bash"),
}


def kills(out_dir: Path) -> int:
    summary = {}
    only = os.environ.get("RAY_EDGES_CASES", "").split(",")  # a subset, when debugging
    for name, (through_dvc, signal_number, shell) in KILL_CASES.items():
        if only == [""] or name in only:
            summary[name] = kill_case(out_dir / name, through_dvc, signal_number, shell)
            write_summary(out_dir, summary)
    return 0


SCENARIOS = {"addresses": addresses, "kills": kills}


def main() -> None:
    scenario, out_dir = sys.argv[1], Path(sys.argv[2])
    if scenario == "stage":  # the study itself, already inside the namespace
        stage(out_dir, float(sys.argv[3]))
        return
    if scenario not in SCENARIOS:
        raise SystemExit(f"unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
    run_as_namespace_init(lambda: SCENARIOS[scenario](out_dir))


if __name__ == "__main__":
    main()
