"""The seed study's trainings N at a time on one machine: trainings per hour for each N.

Usage, on a machine with the prepared data (data/prepared) and Keras on any backend:
    KERAS_BACKEND=jax python -m benchmarks.study_fanout --out DIR
        [--parallel 1 2 4 8] [--probe-model B] [--probe-epochs 1] [--study-parallel 8]
        [--deadline-seconds 540]
    python -m benchmarks.study_fanout --render benchmarks/study_fanout_h200.json

Made for a GPU machine where Ray cannot be installed (no network): the tasks are the study's
own (`holdout_task`, `train_task`), each in a fresh worker process as on Ray, started through
Python's standard process pool instead. Written to DIR/study_fanout.json after every finished
task, so that a run cut short keeps what it measured:

- study: the seed study itself (every declared model x study.replicates seeds, full epochs)
  at --study-parallel, with its wall time and the metrics the `seeds` stage would write.
- probe: then, for each N of --parallel, N trainings of the probe model (seeds 1..N, probe
  epochs each) started together: N / wall time is trainings per hour at N at a time. A probe
  that the last one's wall time says would end after --deadline-seconds is skipped.

--render writes the Markdown table of such a JSON file beside it (same name, .md).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import datetime
import json
import multiprocessing
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.machine import keras_machine
from mnist_cnn import files
from mnist_cnn.layout import Layout
from mnist_cnn.params import Params, load_params
from mnist_cnn.pipeline.study import notebook_figures, study_inputs
from mnist_cnn.study import summary
from mnist_cnn.study.engine import Task
from mnist_cnn.study.tasks import holdout_task, train_task

# Filled once per worker process by _load_inputs: the prepared arrays every task reads.
_SHARED: dict[str, Any] = {}


def _load_inputs(root: str, steps_per_execution: int) -> None:
    arrays, _ = study_inputs(Layout(Path(root)))
    _SHARED.update(arrays=arrays, steps_per_execution=steps_per_execution)


def _timed_task(spec: Any, threads: int) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    result = train_task(spec, _SHARED, threads)
    return result, time.perf_counter() - started


def run_at_once(
    tasks: Sequence[Task],
    parallel: int,
    params: Params,
    root: Path,
    on_result: Callable[[int, dict[str, Any], float], None] = lambda *_: None,
) -> tuple[float, list[dict[str, Any]], list[float]]:
    """Wall seconds for `tasks` run `parallel` at a time, each in a fresh process; the results
    and each task's own seconds (process start-up excluded), in task order. `on_result` hears
    of each task as it finishes."""
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    done: dict[int, tuple[dict[str, Any], float]] = {}
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=parallel,
        mp_context=context,
        initializer=_load_inputs,
        initargs=(str(root), params.runtime.steps_per_execution),
        max_tasks_per_child=1,
    ) as pool:
        futures = {
            pool.submit(_timed_task, task.spec, params.study.threads_per_task): index
            for index, task in enumerate(tasks)
        }
        for future in concurrent.futures.as_completed(futures):
            done[futures[future]] = future.result()
            on_result(futures[future], *done[futures[future]])
    ordered = [done[index] for index in range(len(tasks))]
    return time.perf_counter() - started, [r for r, _ in ordered], [s for _, s in ordered]


def probe_tasks(params: Params, arguments: argparse.Namespace, inputs: dict, parallel: int):
    model = dataclasses.replace(params.model(arguments.probe_model), epochs=arguments.probe_epochs)
    return [
        holdout_task(params, arguments.probe_model, seed, inputs, model)
        for seed in range(1, parallel + 1)
    ]


def study_tasks(params: Params, inputs: dict) -> list[Task]:
    return [
        holdout_task(params, name, seed, inputs, model)
        for name, model in params.models.items()
        for seed in params.study.seeds()
    ]


def study_metrics(params: Params, root: Path, results: list[dict[str, Any]]) -> dict[str, Any]:
    """What the `seeds` stage would write from these results (task order: model, then seed)."""
    seed_list = params.study.seeds()
    by_task = iter(results)
    records = [
        summary.run_record(name, seed, next(by_task))
        for name in params.models
        for seed in seed_list
    ]
    metrics, _ = summary.seed_study(
        records, notebook_figures(Layout(root)), summary.SeedStudySettings.from_params(params)
    )
    return {"metrics": metrics, "per_seed_rows": summary.per_seed_rows(records)}


def accuracy_spread(metrics: dict[str, Any], name: str) -> str:
    """`mean (sd)` of a model's test accuracy, from the seed metrics of either format: the
    current one (`models.<name>.test_accuracy_mean`) or the one of earlier committed runs."""
    model = metrics.get("models", {}).get(name)
    if model is not None:
        return f"{model['test_accuracy_mean']:.4f} ({model['test_accuracy_sd']:.4f})"
    accuracy = metrics.get(name, {}).get("test", {}).get("accuracy")
    return f"{accuracy['mean']:.4f} ({accuracy['sd']:.4f})" if accuracy else "unfinished"


def render(report: dict[str, Any], source: Path) -> str:
    """The Markdown page of one run's JSON file."""
    machine_text = ", ".join(f"{key} {value}" for key, value in sorted(report["machine"].items()))
    study_part = report["study"]
    lines = [
        "# The seed study fanned out on one machine",
        "",
        f"Generated by `python -m benchmarks.study_fanout --render {source.as_posix()}`"
        " from the run's JSON file; do not edit.",
        "",
        f"Run started {report['started_utc']} on: {machine_text}.",
        "",
        "## The seed study",
        "",
    ]
    if "wall_seconds" in study_part:
        count = len(study_part["finished"])
        lines.append(
            f"{count} trainings at {study_part['parallel']} at a time: "
            f"{study_part['wall_seconds']:.0f} s wall, "
            f"{count * 3600 / study_part['wall_seconds']:.0f} trainings per hour."
        )
    else:
        lines.append(f"Cut short after {len(study_part['finished'])} trainings.")
    lines += [
        "",
        "| model | trainings | mean seconds each | epochs run | test accuracy, mean (sd) |",
        "|---|---:|---:|---:|---:|",
    ]
    by_model: dict[str, list[dict[str, Any]]] = {}
    for row in study_part["finished"]:
        by_model.setdefault(row["task"].split(" seed ")[0], []).append(row)
    metrics = study_part.get("metrics", {})
    for name, rows in by_model.items():
        spread = accuracy_spread(metrics, name)
        lines.append(
            f"| {name} | {len(rows)} | {sum(r['seconds'] for r in rows) / len(rows):.0f} "
            f"| {', '.join(str(r['epochs_run']) for r in rows)} "
            f"| {spread} |"
        )
    probe_part = report["probe"]
    lines += [
        "",
        f"## Trainings at a time ({probe_part['model']}, {probe_part['epochs']} epoch(s) each)",
        "",
        "Wall time includes starting each worker process; seconds each are inside the process.",
        "",
        "| at a time | wall seconds | seconds each, mean | trainings per hour | vs one at a time |",
        "|---:|---:|---:|---:|---:|",
    ]
    measured = [row for row in probe_part["runs"] if "wall_seconds" in row]
    base = measured[0]["trainings_per_hour"] if measured else None
    for row in probe_part["runs"]:
        if "wall_seconds" not in row:
            lines.append(f"| {row['parallel']} | skipped ({row['skipped']}) | | | |")
            continue
        each = sum(row["task_seconds"]) / len(row["task_seconds"])
        lines.append(
            f"| {row['parallel']} | {row['wall_seconds']:.1f} | {each:.1f} "
            f"| {row['trainings_per_hour']:.0f} | {row['trainings_per_hour'] / base:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--render", type=Path, help="a run's JSON file: write its .md beside it")
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--probe-model", default="B")
    parser.add_argument("--probe-epochs", type=int, default=1)
    parser.add_argument("--study-parallel", type=int, default=8)
    parser.add_argument("--deadline-seconds", type=float, default=540.0)
    arguments = parser.parse_args()
    if arguments.render is not None:
        report = json.loads(arguments.render.read_text(encoding="utf-8"))
        files.write_text(arguments.render.with_suffix(".md"), render(report, arguments.render))
        return
    if arguments.out is None:
        parser.error("--out is required unless --render is given")
    started = time.perf_counter()
    root = Path(".").resolve()
    params = load_params(Layout(root).params_file)
    _, inputs = study_inputs(Layout(root))
    report: dict[str, Any] = {
        "started_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": keras_machine(),
        "study": {"parallel": arguments.study_parallel, "finished": []},
        "probe": {"model": arguments.probe_model, "epochs": arguments.probe_epochs, "runs": []},
    }
    target = arguments.out / "study_fanout.json"

    def save() -> None:
        files.write_text(target, json.dumps(report, indent=2, sort_keys=True) + "\n")

    tasks = study_tasks(params, inputs)

    def finished(index: int, result: dict[str, Any], seconds: float) -> None:
        report["study"]["finished"].append(
            {
                "task": tasks[index].label,
                "seconds": round(seconds, 2),
                "since_start": round(time.perf_counter() - started, 1),
                "epochs_run": len(result["history"]),
                "test_accuracy": result["test"]["accuracy"],
            }
        )
        save()
        print(f"study: {tasks[index].label} done in {seconds:.1f} s", flush=True)

    seconds, results, _ = run_at_once(tasks, arguments.study_parallel, params, root, finished)
    report["study"].update(wall_seconds=round(seconds, 2), **study_metrics(params, root, results))
    save()
    print(f"study: {len(tasks)} trainings in {seconds:.1f} s", flush=True)
    last_wall = 0.0
    for parallel in arguments.parallel:
        left = arguments.deadline_seconds - (time.perf_counter() - started)
        if left < 1.5 * last_wall:
            report["probe"]["runs"].append({"parallel": parallel, "skipped": f"{left:.0f} s left"})
            save()
            continue
        wall, results, task_seconds = run_at_once(
            probe_tasks(params, arguments, inputs, parallel), parallel, params, root
        )
        last_wall = wall
        report["probe"]["runs"].append(
            {
                "parallel": parallel,
                "wall_seconds": round(wall, 2),
                "task_seconds": [round(value, 2) for value in task_seconds],
                "trainings_per_hour": round(parallel * 3600 / wall, 1),
                "test_accuracy": [result["test"]["accuracy"] for result in results],
            }
        )
        save()
        print(f"probe: {report['probe']['runs'][-1]}", flush=True)


if __name__ == "__main__":
    main()
