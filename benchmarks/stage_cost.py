"""What training a model costs as a whole process: the notebook's path against the stage.

    python -m benchmarks.stage_cost --model B --repeats 3 --output benchmarks/stage_cost.json
    python -m benchmarks.stage_cost --model B --epochs 10 --repeats 1 \
        --variants notebook stage/native --output benchmarks/stage_cost_10_epochs.json

In a fresh repository of this project (benchmarks.full_run.fresh_repository) with the split
prepared once, each repeat runs, in an order that flips every repeat:
- `notebook`: benchmarks/notebook_path.py, the notebook's code path, for `--epochs` epochs;
- `stage/portable` and `stage/native`: `dvc repro -s -f train@<model>` with `train.epoch_cap`
  (`--epochs`) and `train.cpu_kernels` portable (the default) or native (TF_ENABLE_ONEDNN_OPTS=1);
- `stage/native/bfloat16`: the same with native kernels and `train.precision: mixed_bfloat16`.
Each is one process (for the stage: DVC, which starts the stage's process), timed whole. The
epochs' own seconds come from the run itself (the notebook path's epoch clock; the stage's
last progress line, whole seconds since its training started), so `overhead` is what the
process spends besides its epochs: start-up, imports, data, building, callbacks, validation
bookkeeping, saving and, for the stage, DVC. Medians over the repeats; every run is kept in
the JSON, the table beside it (.md).
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
VARIANTS = ("notebook", "stage/portable", "stage/native", "stage/native/bfloat16")
# The train.precision value of a variant's last part; float32 where it names none.
PRECISIONS = {"bfloat16": "mixed_bfloat16"}
PROGRESS = re.compile(r"epoch \d+/\d+: .*\((\d+) s\)")


def set_training(repository: Path, kernels: str, epochs: int, precision: str = "float32") -> None:
    path = repository / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    params["train"].update(epoch_cap=epochs, cpu_kernels=kernels, precision=precision)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def run_timed(command: list[str], cwd: Path, environment: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        tail = (finished.stderr or finished.stdout).strip().splitlines()[-3:]
        raise SystemExit(f"error: {' '.join(command)} exited {finished.returncode}: {tail}")
    return seconds, finished.stdout + finished.stderr


def one_run(
    variant: str, model: str, epochs: int, repository: Path, scratch: Path
) -> dict[str, float]:
    environment = {**tool_environment(), "PYTHONPATH": str(PROJECT)}
    if variant == "notebook":
        report = scratch / "notebook.json"
        command = [sys.executable, "-m", "benchmarks.notebook_path", "--model", model]
        command += ["--epochs", str(epochs), "--output", str(report)]
        seconds, _ = run_timed(command, repository, environment)
        clock = json.loads(report.read_text(encoding="utf-8"))["models"][model]["epoch_seconds"]
        return {"whole_seconds": seconds, "epoch_seconds": sum(clock)}
    _, kernels, *precision = variant.split("/")
    set_training(repository, kernels, epochs, PRECISIONS.get("".join(precision), "float32"))
    if kernels == "native":
        environment["TF_ENABLE_ONEDNN_OPTS"] = "1"
    environment["PYTHONPATH"] = str(repository)
    command = ["dvc", "repro", "--single-item", "--force", f"train@{model}"]
    seconds, output = run_timed(command, repository, environment)
    # Each progress line gives the seconds since training started: the last one is all epochs.
    progress = [float(seconds) for seconds in PROGRESS.findall(output)]
    if len(progress) != epochs:
        raise SystemExit(f"error: {len(progress)} progress lines from train@{model}, not {epochs}")
    return {"whole_seconds": seconds, "epoch_seconds": progress[-1]}


def measure(model: str, epochs: int, repeats: int, variants: list[str]) -> dict[str, Any]:
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    runs: dict[str, list[dict[str, float]]] = {variant: [] for variant in variants}
    with tempfile.TemporaryDirectory(prefix="bench-stage-") as folder:
        repository, scratch = Path(folder) / "repo", Path(folder)
        repository.mkdir()
        fresh_repository(repository)
        set_training(repository, "portable", epochs)
        run_timed(["dvc", "repro", "preprocess"], repository, tool_environment())
        for repeat in range(repeats):
            for variant in variants if repeat % 2 == 0 else variants[::-1]:
                runs[variant].append(one_run(variant, model, epochs, repository, scratch))
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
        "epochs": epochs,
        "repeats": repeats,
        "runs": runs,
        "medians": medians,
    }


def table(report: dict[str, Any], source: Path) -> str:
    epochs = report["epochs"]
    medians = report["medians"]
    lines = [
        "# Training as a whole process: the notebook's path and the training stage",
        "",
        f"Generated by `python -m benchmarks.stage_cost` from `{source.name}`; do not edit.",
        "",
        f"Started {report['started']} on {report['machine']}; model {report['model']}, "
        f"{epochs} epoch{'s' if epochs > 1 else ''} on the prepared split, medians of "
        f"{report['repeats']} repeat{'s' if report['repeats'] > 1 else ''}.",
        "",
        "| variant | whole process s | its epochs s | besides the epochs s | vs notebook |",
        "|---|---|---|---|---|",
    ]
    notebook = medians["notebook"]["whole_seconds"]
    for variant, values in medians.items():
        epochs_seconds, overhead = (
            ("n/a", "n/a")
            if values["epoch_seconds"] is None
            else (f"{values['epoch_seconds']:.1f}", f"{values['overhead_seconds']:.1f}")
        )
        lines.append(
            f"| {variant} | {values['whole_seconds']:.1f} | {epochs_seconds} | {overhead} | "
            f"{notebook / values['whole_seconds']:.2f}x |"
        )
    if "note" in report:
        lines += ["", report["note"]]
    if "stage/portable" in medians and "stage/native" in medians:
        portable = medians["stage/portable"]["epoch_seconds"] / epochs
        native = medians["stage/native"]["epoch_seconds"] / epochs
        lines += [
            "",
            "The price of `train.cpu_kernels: portable` (numbers that repeat across x86-64 "
            f"CPUs): {portable - native:.1f} s per epoch of {report['model']} against "
            f"`native`, {portable / native:.2f}x its epoch time.",
        ]
    if "stage/native" in medians and "stage/native/bfloat16" in medians:
        bfloat16 = medians["stage/native/bfloat16"]["epoch_seconds"] / epochs
        native = medians["stage/native"]["epoch_seconds"] / epochs
        lines += [
            "",
            f"`train.precision: mixed_bfloat16` (native kernels): {bfloat16:.1f} s per epoch "
            f"against {native:.1f} s in float32, {native / bfloat16:.2f}x as fast; its numbers "
            "are not the notebook's float32 ones.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="B")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--output", type=Path, required=True)
    arguments = parser.parse_args()
    if "notebook" not in arguments.variants:
        parser.error("--variants must include notebook, the baseline")
    report = measure(arguments.model, arguments.epochs, arguments.repeats, arguments.variants)
    files.write_json(arguments.output, report)
    files.write_text(arguments.output.with_suffix(".md"), table(report, arguments.output))
    print(table(report, arguments.output))


if __name__ == "__main__":
    main()
