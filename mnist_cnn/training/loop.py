"""The training loop: one declared model, trained as the notebook did, epoch by epoch.

Training is the notebook's: the declared optimizer (the notebook's Adam by default),
categorical cross-entropy, validation on the held-out split after every epoch. Unlike
`fit(shuffle=True)`, the batch order of epoch e is a permutation keyed on (seed, e), and `fit`
runs one epoch at a time, so a run continued from a saved epoch sees the same batches as one
that never stopped. Per-epoch work (resume points, progress
lines, live metrics) is done by Keras callbacks that callers pass in.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np

from mnist_cnn.errors import TrainingDiverged
from mnist_cnn.history import History
from mnist_cnn.models import build_model, build_optimizer
from mnist_cnn.params import EarlyStoppingParams, ModelParams, Params, TrainParams
from mnist_cnn.params.optimizers import OptimizerSpec
from mnist_cnn.training.devices import training_scope
from mnist_cnn.training.memory import check_fits_in_memory


@dataclass(frozen=True)
class Split:
    """Images (N, H, W, C) uint8 and their one-hot labels."""

    images: np.ndarray
    one_hot: np.ndarray


@dataclass(frozen=True)
class TrainingJob:
    """Everything that decides the result of one training run, and nothing else."""

    name: str
    model: ModelParams
    settings: TrainParams
    image_shape: tuple[int, ...]
    seed: int

    @classmethod
    def declared(cls, params: Params, name: str, seed: int | None = None) -> TrainingJob:
        """The job of a model declared in params.yaml, optionally with another seed; its epochs
        are capped at train.epoch_cap when that is set."""
        model = params.model(name)
        cap = params.train.epoch_cap
        if cap is not None and cap < model.epochs:
            model = dataclasses.replace(model, epochs=cap)
        return cls(
            name=name,
            model=model,
            settings=params.train,
            image_shape=params.image_shape,
            seed=params.seed if seed is None else seed,
        )

    def with_epochs(self, epochs: int) -> TrainingJob:
        return dataclasses.replace(self, model=dataclasses.replace(self.model, epochs=epochs))


@dataclass(frozen=True)
class Trained:
    model: keras.Model
    history: History


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The batch order of one epoch: a permutation that depends only on (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(count)


def should_stop(history: History, early_stopping: EarlyStoppingParams | None) -> bool:
    """Keras' EarlyStopping rule: stop once `patience` epochs pass without a strict improvement."""
    if early_stopping is None or not history:
        return False
    values = [row[early_stopping.monitor] for row in history]
    best = int(
        np.argmax(values) if early_stopping.monitor.endswith("accuracy") else np.argmin(values)
    )
    return len(values) - 1 - best >= early_stopping.patience


def epoch_row(epoch: int, logs: dict[str, float]) -> dict[str, float]:
    """One history row from Keras' end-of-epoch logs (`epoch` counted from 0 by Keras)."""
    return {"epoch": epoch + 1, **{name: float(value) for name, value in logs.items()}}


class RecordEpochs(keras.callbacks.Callback):
    """Appends each finished epoch to the history; refuses a NaN or infinite loss first, so no
    later callback (a resume point, say) ever sees a diverged model."""

    def __init__(self, history: History) -> None:
        super().__init__()
        self.history = history

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        row = epoch_row(epoch, logs or {})
        losses = [row.get(name, math.nan) for name in ("loss", "val_loss")]
        if not all(math.isfinite(loss) for loss in losses):
            raise TrainingDiverged(
                f"training diverged at epoch {epoch + 1}: loss is {row.get('loss', math.nan)}; "
                "lower train.optimizer.learning_rate or the model's l2"
            )
        self.history.append(row)


def compile_model(model: keras.Model, optimizer: OptimizerSpec, steps_per_execution: int) -> None:
    model.compile(
        optimizer=build_optimizer(optimizer),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )


def train_model(
    job: TrainingJob,
    *,
    train: Split,
    val: Split,
    steps_per_execution: int = 1,
    resume: Callable[[], Trained | None] = lambda: None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 0,
) -> Trained:
    """Train `job`'s model until its epochs or early stopping, and return it with its history.

    `resume` returns a saved run to continue, or None to start afresh; it is called inside the
    device scope, so a saved model loads where it will train. `callbacks` see every epoch after
    it is recorded. Raises TrainingDiverged as soon as a loss is NaN or infinite.
    """
    settings = job.settings
    check_fits_in_memory(
        job.name, job.model.layers, job.image_shape, settings.batch_size, settings.optimizer
    )
    with training_scope(settings.data_parallel, settings.batch_size):
        start = resume()
        if start is None:
            model = build_model(job.name, job.model.layers, job.image_shape, job.seed)
            compile_model(model, settings.optimizer, steps_per_execution)
            history: History = []
        else:
            model, history = start.model, list(start.history)
        recorder = RecordEpochs(history)
        while len(history) < job.model.epochs and not should_stop(
            history, job.model.early_stopping
        ):
            epoch = len(history)
            order = epoch_order(len(train.images), job.seed, epoch)
            model.fit(
                train.images[order],
                train.one_hot[order],
                batch_size=settings.batch_size,
                epochs=epoch + 1,
                initial_epoch=epoch,
                shuffle=False,
                validation_data=(val.images, val.one_hot),
                validation_batch_size=settings.eval_batch_size,
                verbose=verbose,
                callbacks=[keras.callbacks.TerminateOnNaN(), recorder, *callbacks],
            )
            if len(history) == epoch:
                raise TrainingDiverged(f"training diverged at epoch {epoch + 1}: no loss recorded")
    return Trained(model=model, history=history)
