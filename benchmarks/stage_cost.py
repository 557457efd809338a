"""What one epoch of a model costs as a whole process: the notebook's path against the stage.

    python -m benchmarks.stage_cost --model B --repeats 3 --output benchmarks/stage_cost.json

In a fresh repository of this project (benchmarks.full_run.fresh_repository) with the split
prepared once, each repeat runs, in an order that flips every repeat:
- `notebook`: benchmarks/notebook_path.py, the notebook's code path, for one epoch;
- `stage/portable` and `stage/native`: `dvc repro -s -f train@<model>` with `train.epoch_cap: 1`
  and `train.cpu_kernels` portable (the default) or native (with TF_ENABLE_ONEDNN_OPTS=1).
Each is one process (for the stage: DVC, which starts the stage's process), timed whole. The
epoch's own seconds come from the run itself (the notebook path's epoch clock; the stage's
progress line, whole seconds), so `overhead` is what the process spends besides its one epoch:
start-up, imports, data, building, callbacks, validation bookkeeping, saving and, for the stage,
DVC. Medians over the repeats; every run is kept in the JSON, the table beside it (.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from benchmarks.full_run import fresh_repository, tool_environment
from benchmarks.import_cost import cpu_name
from mnist_cnn import files

PROJECT = Path(__file__).resolve().parents[1]
VARIANTS = ("notebook", "stage/portable", "stage/native")
PROGRESS = re.compile(r"epoch 1/1: .*\((\d+) s\)")


def set_kernels(repository: Path, kernels: str) -> None:
    path = repository / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    params["train"].update(epoch_cap=1, cpu_kernels=kernels)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def run_timed(command: list[str], cwd: Path, environment: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        tail = (finished.stderr or finished.stdout).strip().splitlines()[-3:]
        raise SystemExit(f"error: {' '.join(command)} exited {finished.returncode}: {tail}")
    return seconds, finished.stdout + finished.stderr


def one_run(variant: str, model: str, repository: Path, scratch: Path) -> dict[str, float]:
    environment = {**tool_environment(), "PYTHONPATH": str(PROJECT)}
    if variant == "notebook":
        report = scratch / "notebook.json"
        command = [sys.executable, "-m", "benchmarks.notebook_path", "--model", model]
        command += ["--epochs", "1", "--output", str(report)]
        seconds, _ = run_timed(command, repository, environment)
        epoch = json.loads(report.read_text(encoding="utf-8"))["models"][model]["epoch_seconds"][0]
        return {"whole_seconds": seconds, "epoch_seconds": epoch}
    kernels = variant.split("/")[1]
    set_kernels(repository, kernels)
    if kernels == "native":
        environment["TF_ENABLE_ONEDNN_OPTS"] = "1"
    environment["PYTHONPATH"] = str(repository)
    command = ["dvc", "repro", "--single-item", "--force", f"train@{model}"]
    seconds, output = run_timed(command, repository, environment)
    progress = PROGRESS.search(output)
    if progress is None:
        raise SystemExit(f"error: no progress line in the output of train@{model}")
    return {"whole_seconds": seconds, "epoch_seconds": float(progress.group(1))}


def measure(model: str, repeats: int) -> dict[str, Any]:
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    runs: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="bench-stage-") as folder:
        repository, scratch = Path(folder) / "repo", Path(folder)
        repository.mkdir()
        fresh_repository(repository)
        set_kernels(repository, "portable")
        run_timed(["dvc", "repro", "preprocess"], repository, tool_environment())
        for repeat in range(repeats):
            for variant in VARIANTS if repeat % 2 == 0 else VARIANTS[::-1]:
                runs[variant].append(one_run(variant, model, repository, scratch))
    medians = {
        variant: {
            key: statistics.median(run[key] for run in values)
            for key in ("whole_seconds", "epoch_seconds")
        }
        for variant, values in runs.items()
    }
    for values in medians.values():
        values["overhead_seconds"] = values["whole_seconds"] - values["epoch_seconds"]
    return {
        "started": started,
        "machine": f"{os.cpu_count()} cores of {cpu_name()}",
        "model": model,
        "repeats": repeats,
        "runs": runs,
        "medians": medians,
    }


def table(report: dict[str, Any], source: Path) -> str:
    lines = [
        "# One epoch as a whole process: the notebook's path and the training stage",
        "",
        f"Generated by `python -m benchmarks.stage_cost` from `{source.name}`; do not edit.",
        "",
        f"Started {report['started']} on {report['machine']}; model {report['model']}, one "
        f"epoch on the prepared split, medians of {report['repeats']} repeats.",
        "",
        "| variant | whole process s | its epoch s | besides the epoch s | vs notebook |",
        "|---|---|---|---|---|",
    ]
    notebook = report["medians"]["notebook"]["whole_seconds"]
    for variant, values in report["medians"].items():
        lines.append(
            f"| {variant} | {values['whole_seconds']:.1f} | {values['epoch_seconds']:.1f} | "
            f"{values['overhead_seconds']:.1f} | {notebook / values['whole_seconds']:.2f}x |"
        )
    medians = report["medians"]
    portable, native = medians["stage/portable"], medians["stage/native"]
    lines += [
        "",
        "The price of `train.cpu_kernels: portable` (numbers that repeat across x86-64 CPUs): "
        f"{portable['epoch_seconds'] - native['epoch_seconds']:.1f} s per epoch of "
        f"{report['model']} against `native`, "
        f"{portable['epoch_seconds'] / native['epoch_seconds']:.2f}x its epoch time.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="B")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, required=True)
    arguments = parser.parse_args()
    report = measure(arguments.model, arguments.repeats)
    files.write_json(arguments.output, report)
    files.write_text(arguments.output.with_suffix(".md"), table(report, arguments.output))
    print(table(report, arguments.output))


if __name__ == "__main__":
    main()
