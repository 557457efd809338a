"""Many seeds of one model trained together: one compiled program per epoch for all of them.

`jax.vmap` maps the epoch program (mnist_cnn/training/epoch_program.py) over stacked weights,
optimizer state, dropout seed-generator state and batch orders, so R trainings pay one start-up
and one compilation. Each seed keeps what it would have alone: its initial weights and dropout
seeds (the model built with that seed), its `(seed, epoch)` batch order, and its own early
stopping. A seed that stops keeps its weights frozen (its state is carried through unchanged)
while the others go on, and its history ends where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from mnist_cnn.errors import TrainingDiverged
from mnist_cnn.history import History
from mnist_cnn.training.compiled_epoch import check_job, fresh_model, on_device
from mnist_cnn.training.epoch_program import (
    EpochProgram,
    ModelState,
    Totals,
    epoch_logs,
    load_state,
    state_of,
)
from mnist_cnn.training.loop import Split, Trained, TrainingJob, epoch_order, should_stop

# Called after every epoch with its number (from 0) and every seed's history so far.
EpochObserver = Callable[[int, list[History]], None]


def stacked(states: Sequence[ModelState]) -> ModelState:
    """One ModelState whose every array has a leading seed axis."""
    return jax.tree.map(lambda *values: jnp.stack(values), *states)


def seed_slice(stacked_values: Any, index: int) -> Any:
    """One seed's part of a stacked ModelState or Totals."""
    return jax.tree.map(lambda values: values[index], stacked_values)


def frozen_where_stopped(active: Any, new: ModelState, old: ModelState) -> ModelState:
    """`new` for the seeds still training, `old` for those that stopped."""

    def pick(new_values: Any, old_values: Any) -> Any:
        mask = active.reshape(active.shape + (1,) * (new_values.ndim - 1))
        return jnp.where(mask, new_values, old_values)

    return jax.tree.map(pick, new, old)


def many_seeds_epoch(program: EpochProgram) -> Callable[..., tuple[ModelState, Totals, Totals]]:
    """The compiled epoch of every seed at once; stopped seeds' state passes through."""
    per_seed = jax.vmap(program.epoch, in_axes=(0, None, None, 0))

    def epoch(
        state: ModelState, train: Any, val: Any, orders: Any, active: Any
    ) -> tuple[ModelState, Totals, Totals]:
        trained, train_totals, val_totals = per_seed(state, train, val, orders)
        return frozen_where_stopped(active, trained, state), train_totals, val_totals

    return jax.jit(epoch)


def still_training(job: TrainingJob, history: History) -> bool:
    return len(history) < job.model.epochs and not should_stop(history, job.model.early_stopping)


def record_epoch(
    seeds: Sequence[int], histories: list[History], active: np.ndarray, logs: list[dict]
) -> None:
    """Append each active seed's row; TrainingDiverged naming the seed on a NaN loss."""
    for index in map(int, np.flatnonzero(active)):
        row = {"epoch": len(histories[index]) + 1, **logs[index]}
        if not all(np.isfinite([row["loss"], row["val_loss"]])):
            raise TrainingDiverged(
                f"training diverged at epoch {row['epoch']} of seed {seeds[index]}: loss is "
                f"{row['loss']}; lower train.optimizer.learning_rate or the model's l2"
            )
        histories[index].append(row)


def train_seeds(
    job: TrainingJob,
    seeds: Sequence[int],
    *,
    train: Split,
    val: Split,
    observe: EpochObserver | None = None,
) -> list[Trained]:
    """Train `job`'s model once per seed, all seeds in one program; one Trained per seed.

    `job.seed` is ignored: `seeds` replaces it. Each result is what
    `train_model_compiled(job with that seed)` gives alone.
    """
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct and at least one; got {list(seeds)}")
    check_job(job)
    models = [fresh_model(job, seed) for seed in seeds]
    program = EpochProgram(models[0], job.settings.batch_size, job.settings.eval_batch_size)
    run_epoch = many_seeds_epoch(program)
    state = stacked([state_of(model) for model in models])
    train_data, val_data = on_device(train), on_device(val)
    counts = (len(train.images), len(val.images))
    histories: list[History] = [[] for _ in seeds]
    active = np.ones(len(seeds), dtype=bool)
    epoch = 0
    while active.any():
        orders = np.stack([epoch_order(counts[0], seed, epoch) for seed in seeds])
        state, train_totals, val_totals = run_epoch(
            state, train_data, val_data, jnp.asarray(orders, jnp.int32), jnp.asarray(active)
        )
        train_totals, val_totals = jax.device_get((train_totals, val_totals))
        logs = [
            epoch_logs(seed_slice(train_totals, index), seed_slice(val_totals, index), counts)
            for index in range(len(seeds))
        ]
        record_epoch(seeds, histories, active, logs)
        active = np.array([still_training(job, history) for history in histories])
        if observe is not None:
            observe(epoch, histories)
        epoch += 1
    for index, model in enumerate(models):
        load_state(model, seed_slice(state, index))
    return [
        Trained(model=model, history=history)
        for model, history in zip(models, histories, strict=True)
    ]


def holdout_results(
    job: TrainingJob,
    seeds: Sequence[int],
    arrays: Mapping[str, np.ndarray],
    test_scores: Callable[[keras.Model], dict[str, Any]],
) -> list[dict[str, Any]]:
    """The study's holdout result of every seed, as `train_task` gives it for one.

    `arrays` holds the study's `train_*`, `val_*` (and, for `test_scores`, `test_*`) arrays;
    `test_scores` scores one trained model on the test images.
    """
    train = Split(images=arrays["train_images"], one_hot=arrays["train_one_hot"])
    val = Split(images=arrays["val_images"], one_hot=arrays["val_one_hot"])
    return [
        {
            "history": trained.history,
            "num_params": trained.model.count_params(),
            "train_images": len(train.images),
            "val_images": len(val.images),
            "test": test_scores(trained.model),
        }
        for trained in train_seeds(job, seeds, train=train, val=val)
    ]
