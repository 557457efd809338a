"""Stage `train_<model>`: train one declared model, as the notebook did, resumably.

Usage: python -m stages.train MODEL   (MODEL is a key of `models:` in params.yaml)

Training is the notebook's: Adam, categorical cross-entropy, batch 32, validation on the
held-out split after every epoch. Unlike `fit(shuffle=True)`, the batch order of epoch e is a
permutation keyed on (seed, e), so a run resumed after a kill sees the same batches as one
that never stopped, and each finished epoch is saved to the resume directory.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from stages import artifacts, resume
from stages.devices import training_scope
from stages.errors import TrainingDiverged, run_cli
from stages.models import build_model, summary_text
from stages.params import EarlyStoppingParams, ModelParams, Params, TrainParams, load_params
from stages.reproducibility import set_up_determinism

PREPARED_DIR = Path("data/prepared")
MODELS_DIR = Path("data/models")
TRAIN_METRICS_DIR = Path("metrics/train")
HISTORY_DIR = Path("plots/history")
HISTORY_COLUMNS = ("epoch", "accuracy", "loss", "val_accuracy", "val_loss")

EpochCallback = Callable[[keras.Model, list[dict[str, float]]], None]


@dataclass(frozen=True)
class Split:
    images: np.ndarray
    one_hot: np.ndarray


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The batch order of one epoch: a permutation that depends only on (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(count)


def should_stop(
    history: list[dict[str, float]], early_stopping: EarlyStoppingParams | None
) -> bool:
    """Keras' EarlyStopping rule: stop once `patience` epochs pass without a strict improvement."""
    if early_stopping is None or not history:
        return False
    values = [row[early_stopping.monitor] for row in history]
    best = int(
        np.argmax(values) if early_stopping.monitor.endswith("accuracy") else np.argmin(values)
    )
    return len(values) - 1 - best >= early_stopping.patience


def compile_model(model: keras.Model, settings: TrainParams) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=settings.learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=settings.steps_per_execution,
    )


def fit_epochs(
    model: keras.Model,
    train: Split,
    val: Split,
    settings: TrainParams,
    model_params: ModelParams,
    seed: int,
    history: list[dict[str, float]],
    on_epoch_end: EpochCallback,
    callbacks: list[keras.callbacks.Callback],
    verbose: int,
) -> list[dict[str, float]]:
    """Train from epoch len(history) until `epochs` or early stopping; returns the full history.

    Raises TrainingDiverged as soon as a loss is NaN or infinite.
    """
    history = list(history)
    while len(history) < model_params.epochs and not should_stop(
        history, model_params.early_stopping
    ):
        epoch = len(history)
        order = epoch_order(len(train.images), seed, epoch)
        result = model.fit(
            train.images[order],
            train.one_hot[order],
            batch_size=settings.batch_size,
            epochs=epoch + 1,
            initial_epoch=epoch,
            shuffle=False,
            validation_data=(val.images, val.one_hot),
            validation_batch_size=settings.eval_batch_size,
            verbose=verbose,
            callbacks=[keras.callbacks.TerminateOnNaN(), *callbacks],
        )
        row = {
            "epoch": epoch + 1,
            **{name: float(values[-1]) for name, values in result.history.items()},
        }
        if len(result.history.get("loss", [])) == 0 or not all(
            math.isfinite(row[name]) for name in ("loss", "val_loss") if name in row
        ):
            raise TrainingDiverged(
                f"training diverged at epoch {epoch + 1}: loss is "
                f"{row.get('loss', 'nan')}; lower train.learning_rate or the model's l2"
            )
        history.append(row)
        on_epoch_end(model, history)
    return history


def train_metrics(history: list[dict[str, float]], num_params: int) -> dict[str, object]:
    """The metrics of the last epoch, as the notebook reported them, plus where val peaked."""
    last = history[-1]
    best = int(np.argmax([row["val_accuracy"] for row in history]))
    return {
        "train": {"accuracy": last["accuracy"], "loss": last["loss"]},
        "val": {
            "accuracy": last["val_accuracy"],
            "loss": last["val_loss"],
            "best_accuracy": history[best]["val_accuracy"],
            "best_epoch": best + 1,
        },
        "epochs_run": len(history),
        "num_params": num_params,
    }


def history_csv(history: list[dict[str, float]]) -> str:
    lines = [",".join(HISTORY_COLUMNS)]
    for row in history:
        lines.append(
            ",".join(
                str(int(row["epoch"])) if name == "epoch" else repr(row[name])
                for name in HISTORY_COLUMNS
            )
        )
    return "\n".join(lines) + "\n"


def load_split(part: str) -> Split:
    arrays = artifacts.read_npz(PREPARED_DIR / f"{part}.npz", ("images", "one_hot"))
    return Split(images=arrays["images"], one_hot=arrays["one_hot"])


def prepare_model(
    name: str, params: Params, digest: str, resume_dir: Path
) -> tuple[keras.Model, list[dict[str, float]]]:
    """A resumed model and its history, or a freshly built and compiled one."""
    point = resume.load(resume_dir, digest)
    if point is not None:
        print(
            f"{name}: resuming after epoch {len(point.history)} from {resume_dir}", file=sys.stderr
        )
        return point.model, point.history
    model = build_model(name, params.model(name).layers, params.image_shape, params.seed)
    compile_model(model, params.train)
    return model, []


def set_up_runtime(params: Params) -> None:
    """Seeds, determinism, threads and precision: first thing, before any model exists."""
    set_up_determinism(params.seed, params.train.deterministic, params.train.threads)
    keras.mixed_precision.set_global_policy(params.train.precision)


def write_outputs(name: str, model: keras.Model, history: list[dict[str, float]]) -> None:
    """The model, its summary, its curves and its metrics: all four appear, or none does."""
    model_path = MODELS_DIR / f"{name}.keras"
    summary_path = TRAIN_METRICS_DIR / f"{name}.summary.txt"
    history_path = HISTORY_DIR / f"{name}.csv"
    metrics_path = TRAIN_METRICS_DIR / f"{name}.json"
    with artifacts.all_or_nothing(model_path, summary_path, history_path, metrics_path):
        with artifacts.atomic_path(model_path) as temporary:
            model.save(temporary)
        artifacts.write_text(summary_path, summary_text(model))
        artifacts.write_text(history_path, history_csv(history))
        artifacts.write_json(metrics_path, train_metrics(history, model.count_params()))


def main(name: str) -> None:
    params = load_params()
    model_params = params.model(name)
    set_up_runtime(params)
    train, val = load_split("train"), load_split("val")
    digest = resume.fingerprint(
        model=name,
        seed=params.seed,
        train=params.train,
        model_params=model_params,
        data=[artifacts.sha256_file(PREPARED_DIR / f"{part}.npz") for part in ("train", "val")],
        keras=keras.__version__,
        backend=keras.backend.backend(),
    )
    resume_dir = Path(params.train.resume_dir) / name
    with training_scope(params.train.data_parallel, params.train.batch_size):
        model, history = prepare_model(name, params, digest, resume_dir)
        history = train_resumably(name, model, history, params, train, val, digest, resume_dir)
    write_outputs(name, model, history)
    resume.clear(resume_dir)


def train_resumably(
    name: str,
    model: keras.Model,
    history: list[dict[str, float]],
    params: Params,
    train: Split,
    val: Split,
    digest: str,
    resume_dir: Path,
) -> list[dict[str, float]]:
    """fit_epochs with a resume point and a progress line after every finished epoch."""
    model_params = params.model(name)
    started = time.perf_counter()

    def save_epoch(model: keras.Model, history: list[dict[str, float]]) -> None:
        resume.save(resume_dir, digest, model, history)
        row = history[-1]
        print(
            f"{name} epoch {int(row['epoch'])}/{model_params.epochs}: accuracy "
            f"{row['accuracy']:.4f} val_accuracy {row['val_accuracy']:.4f} "
            f"({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
        )

    resume_dir.mkdir(parents=True, exist_ok=True)
    live_log = keras.callbacks.CSVLogger(str(resume_dir / "log.csv"), append=True)
    return fit_epochs(
        model,
        train,
        val,
        params.train,
        model_params,
        params.seed,
        history,
        save_epoch,
        [live_log],
        verbose=1 if sys.stdout.isatty() else 0,
    )


def cli() -> None:
    if len(sys.argv) != 2:
        print("usage: python -m stages.train MODEL", file=sys.stderr)
        raise SystemExit(2)

    def run() -> None:
        main(sys.argv[1])

    run_cli(run)


if __name__ == "__main__":
    cli()
