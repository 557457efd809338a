"""Per-epoch seconds of `train.engine: compiled_epoch` against Keras fit, and many seeds at once.

Made for one call on a GPU machine with JAX and Keras but no TensorFlow (docs/speed.md gives
the command); it calls the training code directly, no DVC, no stage. Usage:
    KERAS_BACKEND=jax python -m benchmarks.gpu_epoch --out DIR [--epochs 3]
        [--seed-counts 1 5 20] [--study-seeds 20] [--deadline-seconds 540]
    python -m benchmarks.gpu_epoch --render DIR/gpu_epoch.json
    KERAS_BACKEND=jax python -m benchmarks.gpu_epoch --out DIR --tiny   # any machine, seconds

It reads the prepared split (data/prepared, from `dvc repro preprocess`), or with --tiny makes
a few hundred random images, and measures, writing DIR/gpu_epoch.json after each part:
- engines: model B at params.yaml's batch size for --epochs epochs, once with Keras fit
  (`train_model`, runtime.steps_per_execution) and once compiled (`train_model_compiled`);
  per-epoch seconds are the median of epochs 2 on (the first pays for compilation).
- seeds: B trained R seeds at a time (`train_seeds`) for each R of --seed-counts; seconds per
  epoch of all R together, first epoch left out.
- study: every declared model x --study-seeds seeds, full epochs with early stopping, each
  model's seeds in one program: wall seconds (compilation included), epochs run, test accuracy.
A part that the time already spent says would end after --deadline-seconds is skipped and
marked so. --render writes the Markdown page of such a JSON file beside it (same name, .md).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from benchmarks.machine import keras_machine
from mnist_cnn import files
from mnist_cnn.layout import Layout
from mnist_cnn.params import Params, load_params
from mnist_cnn.training.compiled_epoch import train_model_compiled
from mnist_cnn.training.loop import Split, TrainingJob, train_model
from mnist_cnn.training.many_seeds import train_seeds
from mnist_cnn.training.runtime import set_up_runtime

PROBE_MODEL = "B"
TINY_IMAGES = {"train": 256, "val": 64, "test": 64}
TINY_EPOCHS = 2


def prepared_splits(root: Path) -> dict[str, Split]:
    layout = Layout(root)
    return {
        part: Split(**files.read_npz(layout.prepared_part(part), ("images", "one_hot")))
        for part in ("train", "val", "test")
    }


def random_splits(image_shape: tuple[int, ...], classes: int) -> dict[str, Split]:
    """Noise images whose class is a bright row: learnable, and made in no time."""
    rng = np.random.default_rng(0)
    splits = {}
    for part, count in TINY_IMAGES.items():
        labels = rng.integers(0, classes, count)
        images = rng.integers(0, 80, (count, *image_shape), dtype=np.uint8)
        images[np.arange(count), labels * 2] = 255
        splits[part] = Split(images=images, one_hot=np.eye(classes, dtype=np.float32)[labels])
    return splits


class EpochClock(keras.callbacks.Callback):
    """Seconds from the clock's start to the end of each epoch, then between epoch ends."""

    def __init__(self) -> None:
        super().__init__()
        self.last = time.perf_counter()
        self.seconds: list[float] = []

    def tick(self, *_: Any) -> None:
        now = time.perf_counter()
        self.seconds.append(now - self.last)
        self.last = now

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.tick()

    def summary(self) -> dict[str, Any]:
        later = self.seconds[1:]
        return {
            "epoch_seconds": [round(value, 4) for value in self.seconds],
            "first_epoch_seconds": round(self.seconds[0], 4),
            "per_epoch_seconds": round(statistics.median(later), 4) if later else None,
        }


def measure_engines(job: TrainingJob, splits: dict[str, Split], params: Params) -> dict:
    results = {}
    for engine, train in (("keras_fit", train_model), ("compiled_epoch", train_model_compiled)):
        set_up_runtime(job.seed, job.settings)
        clock = EpochClock()
        trained = train(
            job,
            train=splits["train"],
            val=splits["val"],
            steps_per_execution=params.runtime.steps_per_execution,
            callbacks=[clock],
        )
        results[engine] = {**clock.summary(), "history": trained.history}
        keras.backend.clear_session()
    return results


def measure_seeds(job: TrainingJob, splits: dict[str, Split], count: int) -> dict:
    clock = EpochClock()
    started = time.perf_counter()
    trained = train_seeds(
        job,
        list(range(job.seed, job.seed + count)),
        train=splits["train"],
        val=splits["val"],
        observe=clock.tick,
    )
    keras.backend.clear_session()
    return {
        "seeds": count,
        "wall_seconds": round(time.perf_counter() - started, 2),
        **clock.summary(),
        "final_val_accuracy": [run.history[-1]["val_accuracy"] for run in trained],
    }


def test_accuracy(model: keras.Model, test: Split, batch_size: int) -> float:
    predicted = model.predict(test.images, batch_size=batch_size, verbose=0).argmax(axis=1)
    return float(np.mean(predicted == test.one_hot.argmax(axis=1)))


def measure_study_model(
    job: TrainingJob, splits: dict[str, Split], seeds: list[int], batch_size: int
) -> dict:
    started = time.perf_counter()
    trained = train_seeds(job, seeds, train=splits["train"], val=splits["val"])
    wall = time.perf_counter() - started
    accuracies = [test_accuracy(run.model, splits["test"], batch_size) for run in trained]
    keras.backend.clear_session()
    return {
        "model": job.name,
        "seeds": len(seeds),
        "wall_seconds": round(wall, 2),
        "epochs_run": [len(run.history) for run in trained],
        "test_accuracy": accuracies,
    }


def run_parts(params: Params, splits: dict[str, Split], arguments: argparse.Namespace) -> dict:
    """Every part in order, saving the report after each; parts past the deadline skipped."""
    started = time.perf_counter()
    report: dict[str, Any] = {
        "started_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": keras_machine(),
        "tiny": arguments.tiny,
        "images": {part: len(split.images) for part, split in splits.items()},
        "batch_size": params.train.batch_size,
        "epochs": arguments.epochs,
        "parts": [],
    }
    target = arguments.out / "gpu_epoch.json"
    probe = TrainingJob.declared(params, PROBE_MODEL).with_epochs(arguments.epochs)
    probe = dataclasses.replace(probe, model=dataclasses.replace(probe.model, early_stopping=None))
    seeds = [params.study.first_seed + index for index in range(arguments.study_seeds)]
    parts: list[tuple[str, Callable[[], dict]]] = [
        ("engines", lambda: measure_engines(probe, splits, params)),
        *(
            (f"seeds x{count}", lambda count=count: measure_seeds(probe, splits, count))
            for count in arguments.seed_counts
        ),
        *(
            (
                f"study {name}",
                lambda name=name: measure_study_model(
                    study_job(params, name, arguments), splits, seeds, params.evaluate.batch_size
                ),
            )
            for name in params.models
        ),
    ]
    longest = 0.0
    for label, measure in parts:
        spent = time.perf_counter() - started
        if spent + longest > arguments.deadline_seconds:
            report["parts"].append({"part": label, "skipped": f"{spent:.0f} s spent"})
        else:
            began = time.perf_counter()
            report["parts"].append({"part": label, **measure()})
            longest = max(longest, time.perf_counter() - began)
        files.write_text(target, json.dumps(report, indent=2, sort_keys=True) + "\n")
        print(f"{label}: {report['parts'][-1].get('skipped', 'done')}", flush=True)
    return report


def study_job(params: Params, name: str, arguments: argparse.Namespace) -> TrainingJob:
    job = TrainingJob.declared(params, name)
    return job.with_epochs(TINY_EPOCHS) if arguments.tiny else job


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def render_engines(part: dict[str, Any]) -> list[str]:
    lines = [
        "| engine | first epoch, s | per epoch after it, s (median) |",
        "|---|---:|---:|",
    ]
    for engine in ("keras_fit", "compiled_epoch"):
        result = part[engine]
        lines.append(
            f"| {engine} | {_seconds(result['first_epoch_seconds'])} | "
            f"{_seconds(result['per_epoch_seconds'])} |"
        )
    fit = part["keras_fit"]["per_epoch_seconds"]
    compiled = part["compiled_epoch"]["per_epoch_seconds"]
    if fit and compiled:
        lines += ["", f"compiled_epoch per epoch: {fit / compiled:.1f}x Keras fit's speed."]
    return lines


def render_seeds(parts: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| R | first epoch, s | per epoch after it, s | per seed-epoch, s |",
        "|---:|---:|---:|---:|",
    ]
    for part in parts:
        per_epoch = part["per_epoch_seconds"]
        per_seed = None if per_epoch is None else per_epoch / part["seeds"]
        lines.append(
            f"| {part['seeds']} | {_seconds(part['first_epoch_seconds'])} | "
            f"{_seconds(per_epoch)} | {_seconds(per_seed)} |"
        )
    return lines


def render_study(parts: list[dict[str, Any]]) -> list[str]:
    total = sum(part["wall_seconds"] for part in parts)
    lines = [
        f"{sum(part['seeds'] for part in parts)} trainings in {total:.0f} s, compilation included.",
        "",
        "| model | seeds | wall s | epochs run | test accuracy, mean (sd) |",
        "|---|---:|---:|---|---:|",
    ]
    for part in parts:
        accuracy = np.asarray(part["test_accuracy"])
        spread = f"{accuracy.std(ddof=1):.4f}" if len(accuracy) > 1 else "n/a"
        lines.append(
            f"| {part['model']} | {part['seeds']} | {part['wall_seconds']:.1f} | "
            f"{', '.join(map(str, part['epochs_run']))} | {accuracy.mean():.4f} ({spread}) |"
        )
    return lines


def render(report: dict[str, Any], source: Path) -> str:
    machine_text = ", ".join(f"{key} {value}" for key, value in sorted(report["machine"].items()))
    tiny = " (--tiny: random images, a check of the script, not a measurement)"
    lines = [
        "# Compiled epochs and many seeds at once",
        "",
        f"Generated by `python -m benchmarks.gpu_epoch --render {source}` from the run's JSON "
        "file; do not edit.",
        "",
        f"Run started {report['started_utc']} on: {machine_text}.",
        f"Images {report['images']}, batch {report['batch_size']}{tiny if report['tiny'] else ''}.",
        "",
    ]
    done = [part for part in report["parts"] if "skipped" not in part]
    epochs = report["epochs"]
    sections = [
        (f"{PROBE_MODEL}: Keras fit against compiled epochs, {epochs} epochs", "engines", None),
        (f"{PROBE_MODEL}: R seeds in one program, {epochs} epochs", "seeds", render_seeds),
        ("The study's trainings, each model's seeds in one program", "study", render_study),
    ]
    for title, prefix, write in sections:
        found = [part for part in done if part["part"].split()[0] == prefix]
        if found:
            body = render_engines(found[0]) if write is None else write(found)
            lines += [f"## {title}", "", *body, ""]
    skipped = [part["part"] for part in report["parts"] if "skipped" in part]
    if skipped:
        lines += [f"Skipped (past the deadline): {', '.join(skipped)}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--render", type=Path, help="a run's JSON file: write its .md beside it")
    parser.add_argument("--tiny", action="store_true", help="random images, 2 epochs, 2 seeds")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed-counts", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--study-seeds", type=int, default=20)
    parser.add_argument("--deadline-seconds", type=float, default=540.0)
    arguments = parser.parse_args()
    if arguments.render is not None:
        report = json.loads(arguments.render.read_text(encoding="utf-8"))
        files.write_text(arguments.render.with_suffix(".md"), render(report, arguments.render))
        return
    if arguments.out is None:
        parser.error("--out is required unless --render is given")
    root = Path(".").resolve()
    params = load_params(Layout(root).params_file)
    if arguments.tiny:
        arguments.epochs, arguments.seed_counts, arguments.study_seeds = TINY_EPOCHS, [1, 2], 2
        splits = random_splits(params.image_shape, params.num_classes)
    else:
        splits = prepared_splits(root)
    run_parts(params, splits, arguments)


if __name__ == "__main__":
    main()
