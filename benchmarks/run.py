"""One command that times the notebook's code path against the pipeline's training.

Usage: python -m benchmarks.run [--models A B] [--epochs 3] [--repeats 3] [--limit N]
                                [--set train.KEY=VALUE ...] [--full-run] [--skip-epochs]

Every training run is its own subprocess (fresh interpreter, fresh memory peak), on the
same prepared data and the same machine. The variants of one repeat run back to back and
their order flips every repeat, so a busy moment on a shared machine does not always hit
the same variant. Per-epoch seconds leave out the first epoch (tracing and warm-up); the
summary is the median over repeats. Results are merged into benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.full_run import time_full_runs
from mnist_cnn import files
from mnist_cnn.kernels import ONEDNN_SWITCH

RESULTS_FILE = Path("benchmarks/results.json")
# The same numbers as a table for people, written beside results.json every time.
TABLE_FILE = Path("benchmarks/results.md")
LOG_DIR = Path("benchmarks/out")
# (path, precision): the notebook as it ran, then the pipeline in both precisions.
VARIANTS = (("notebook", "float32"), ("pipeline", "float32"), ("pipeline", "mixed_bfloat16"))


def run_variant(path: str, precision: str, model: str, args: argparse.Namespace) -> dict[str, Any]:
    """Train one variant in a subprocess; its report, with stderr kept in benchmarks/out/."""
    command = [
        sys.executable,
        "-m",
        f"benchmarks.{path}_path",
        "--model",
        model,
        "--epochs",
        str(args.epochs),
    ]
    if args.limit is not None:
        command += ["--limit", str(args.limit)]
    # This process imported mnist_cnn, which turns oneDNN off for its children (portable).
    environment = dict(os.environ)
    if path == "notebook":
        # The notebook as a user runs it: TensorFlow's own choice of kernels for this CPU.
        environment.pop(ONEDNN_SWITCH, None)
        command += ["--precision", precision]
    else:
        overrides = [*args.overrides, f"train.precision={precision}"]
        if precision == "mixed_bfloat16":
            # bfloat16 is fast only on the AVX-512/AMX kernels that `portable` leaves out.
            overrides.append("train.cpu_kernels=native")
            environment[ONEDNN_SWITCH] = "1"
        command += [arg for override in overrides for arg in ("--set", override)]
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "report.json"
        log_path = LOG_DIR / f"{path}-{precision}-{model}.log"
        with open(log_path, "w", encoding="utf-8") as log:
            finished = subprocess.run(
                [*command, "--output", str(report_path)],
                stderr=log,
                stdout=log,
                env=environment,
                check=False,
            )
        if finished.returncode != 0:
            raise SystemExit(
                f"error: {' '.join(command)} exited {finished.returncode}; see {log_path}"
            )
        report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    run = report["models"][model]
    steady = run["epoch_seconds"][1:] or run["epoch_seconds"]
    return {
        "steady_epoch_seconds": statistics.median(steady),
        "first_epoch_seconds": run["epoch_seconds"][0],
        "epoch_seconds": run["epoch_seconds"],
        "accuracy": run["accuracy"],
        "val_accuracy": run["val_accuracy"],
        "peak_rss_mb": report["peak_rss_mb"],
        "backend": report["backend"],
    }


def summarise(runs: list[dict[str, Any]], train_images: int) -> dict[str, Any]:
    seconds = statistics.median(run["steady_epoch_seconds"] for run in runs)
    return {
        "epoch_seconds_median": round(seconds, 3),
        "epoch_seconds_per_repeat": [round(run["steady_epoch_seconds"], 3) for run in runs],
        "first_epoch_seconds_median": round(
            statistics.median(run["first_epoch_seconds"] for run in runs), 3
        ),
        "images_per_second": round(train_images / seconds),
        "peak_rss_mb_median": round(statistics.median(run["peak_rss_mb"] for run in runs)),
        "val_accuracy_per_repeat": [round(run["val_accuracy"], 4) for run in runs],
        "accuracy_per_repeat": [round(run["accuracy"], 4) for run in runs],
        "val_accuracy_median": round(statistics.median(r["val_accuracy"] for r in runs), 4),
    }


def benchmark_model(model: str, args: argparse.Namespace, train_images: int) -> dict[str, Any]:
    """Every variant of one model, `repeats` times, in alternating order."""
    runs: dict[str, list[dict[str, Any]]] = {
        f"{path}/{precision}": [] for path, precision in VARIANTS
    }
    for repeat in range(args.repeats):
        order = VARIANTS if repeat % 2 == 0 else tuple(reversed(VARIANTS))
        for path, precision in order:
            result = run_variant(path, precision, model, args)
            runs[f"{path}/{precision}"].append(result)
            print(
                f"{model} repeat {repeat + 1}/{args.repeats} {path}/{precision}: "
                f"{result['steady_epoch_seconds']:.2f} s/epoch, val_accuracy "
                f"{result['val_accuracy']:.4f}",
                file=sys.stderr,
            )
    summary = {name: summarise(variant_runs, train_images) for name, variant_runs in runs.items()}
    baseline = runs["notebook/float32"]
    for name, variant_runs in runs.items():
        if name.startswith("pipeline/"):
            paired = [
                base["steady_epoch_seconds"] / run["steady_epoch_seconds"]
                for base, run in zip(baseline, variant_runs, strict=True)
            ]
            summary[name]["speedup_vs_notebook_per_repeat"] = [round(r, 3) for r in paired]
            summary[name]["speedup_vs_notebook_median"] = round(statistics.median(paired), 3)
    return summary


def machine() -> dict[str, Any]:
    import keras

    model_name = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": model_name,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }


def summary_table(results: dict[str, Any]) -> str:
    """The medians as a Markdown table, with when and where they were measured."""
    per_epoch = results.get("per_epoch", {})
    where = per_epoch.get("machine", {})
    lines = [
        "# Benchmark results",
        "",
        "Generated by `python -m benchmarks.run` from `benchmarks/results.json`; do not edit.",
        "",
        f"Per-epoch runs started {per_epoch.get('started_utc', '?')} on {where.get('cores', '?')} "
        f"cores of {where.get('cpu', '?')}, Keras {where.get('keras', '?')} "
        f"({where.get('backend', '?')}), {per_epoch.get('repeats', '?')} repeats of "
        f"{per_epoch.get('epochs', '?')} epochs on {per_epoch.get('train_images', '?')} images; "
        "medians, the first epoch left out.",
        "",
        "| model | variant | s/epoch | images/s | peak RSS MB | val acc | speedup |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, variants in results.get("per_epoch", {}).get("models", {}).items():
        for name, row in variants.items():
            speedup = row.get("speedup_vs_notebook_median")
            lines.append(
                f"| {model} | {name} | {row['epoch_seconds_median']:.2f} | "
                f"{row['images_per_second']} | {row['peak_rss_mb_median']} | "
                f"{row['val_accuracy_median']:.4f} | "
                f"{'1.00 (baseline)' if speedup is None else f'{speedup:.2f}x'} |"
            )
    full = results.get("full_run")
    if full:
        lines.append(
            f"\nWhole run, started {full['started_utc']}: dvc repro {full['dvc_repro_seconds']} s, "
            f"notebook path {full['notebook_four_models_seconds']} s, speedup {full['speedup']}x."
        )
    return "\n".join(lines) + "\n"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["A", "B"])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run, first excluded")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="first N training images")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="params.yaml override for the pipeline runs",
    )
    parser.add_argument(
        "--full-run",
        action="store_true",
        help="also time a whole dvc repro from scratch against the notebook "
        "path training all four models (about 10 minutes each on 2 cores)",
    )
    parser.add_argument("--skip-epochs", action="store_true", help="only the full-run comparison")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    parser.add_argument(
        "--table-only", action="store_true", help="only rewrite the table from the results file"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    if args.table_only:
        files.write_text(TABLE_FILE, summary_table(json.loads(args.output.read_text())))
        return
    if args.epochs < 2 or args.repeats < 1:
        raise SystemExit(
            "error: --epochs must be at least 2 (the first is warm-up) and --repeats at least 1"
        )
    prepared = Path("data/prepared/train.npz")
    if not prepared.is_file():
        raise SystemExit(f"error: {prepared} not found; run `dvc repro preprocess` first")
    results = json.loads(args.output.read_text()) if args.output.is_file() else {}
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not args.skip_epochs:
        import numpy as np

        with np.load(prepared) as archive:
            count = len(archive["labels"])
        train_images = min(count, args.limit or count)
        results["per_epoch"] = {
            "started_utc": started,
            "machine": machine(),
            "epochs": args.epochs,
            "repeats": args.repeats,
            "train_images": train_images,
            "batch_size": 32,
            "pipeline_overrides": args.overrides,
            "models": {model: benchmark_model(model, args, train_images) for model in args.models},
        }
    if args.full_run:
        results["full_run"] = {
            "started_utc": started,
            "machine": machine(),
            **time_full_runs(LOG_DIR),
        }
    files.write_json(args.output, results)
    files.write_text(args.output.with_suffix(".md"), summary_table(results))
    print(summary_table(results))
    print(f"full results: {args.output}")


if __name__ == "__main__":
    main()
