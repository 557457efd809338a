"""The pipeline's own training (mnist_cnn.training), timed the same way as the notebook path.

Usage: python -m benchmarks.pipeline_path --model NAME [--epochs N] [--limit N]
                                          [--set train.KEY=VALUE ...] [--output FILE]

Runs what `python -m stages.train NAME` runs, epoch for epoch: determinism and thread setup,
the declared model with its Rescaling layer on uint8 pixels, fit once per epoch on the
(seed, epoch) batch order, and a resume checkpoint after every epoch (into a temporary
folder). `--set` overrides params.yaml keys, for trying speed settings without editing it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from benchmarks.timing import EpochClock, load_prepared, write_report
from mnist_cnn.layout import Layout
from mnist_cnn.params import Params, parse_params, read_yaml
from mnist_cnn.training.loop import Split, TrainingJob, train_model
from mnist_cnn.training.resume import ResumeState
from mnist_cnn.training.runtime import set_up_runtime


def params_with(overrides: list[str]) -> Params:
    """params.yaml with dotted `key=value` overrides, the values read as YAML."""
    raw = read_yaml(Layout(Path(".")).params_file)
    for override in overrides:
        key, _, value = override.partition("=")
        *parents, leaf = key.split(".")
        section = raw
        for parent in parents:
            section = section[parent]
        section[leaf] = yaml.safe_load(value)
    return parse_params(raw)


def train_pipeline(name: str, params: Params, limit: int | None) -> dict[str, Any]:
    prepared = load_prepared(limit)
    eye = np.eye(params.num_classes, dtype=np.uint8)
    train = Split(prepared["train_images"], eye[prepared["train_labels"]])
    val = Split(prepared["val_images"], eye[prepared["val_labels"]])
    clock = EpochClock()
    with tempfile.TemporaryDirectory(prefix="bench-resume-") as scratch:
        # The resume point the training stage writes after every epoch, into scratch space.
        resume = ResumeState(Path(scratch) / name, "benchmark")
        clock.last = time.perf_counter()
        trained = train_model(
            TrainingJob.declared(params, name),
            train=train,
            val=val,
            steps_per_execution=params.runtime.steps_per_execution,
            callbacks=[resume.callback(), clock],
        )
    return {
        "epoch_seconds": clock.seconds,
        "epochs_run": len(trained.history),
        "accuracy": trained.history[-1]["accuracy"],
        "val_accuracy": trained.history[-1]["val_accuracy"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: params.yaml's)")
    parser.add_argument("--limit", type=int, default=None, help="first N training images")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    overrides = list(args.overrides)
    if args.epochs is not None:
        overrides.append(f"models.{args.model}.epochs={args.epochs}")
    params = params_with(overrides)
    set_up_runtime(params.seed, params.train)
    started = time.perf_counter()
    run = train_pipeline(args.model, params, args.limit)
    write_report(
        args.output,
        {
            "path": "pipeline",
            "precision": params.train.precision,
            "overrides": args.overrides,
            "train_images": args.limit,
            "models": {args.model: run},
            "total_seconds": time.perf_counter() - started,
        },
    )


if __name__ == "__main__":
    main()
