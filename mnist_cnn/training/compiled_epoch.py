"""`train.engine: compiled_epoch`: the training loop of loop.py with each epoch one JAX program.

Same job, same recipe, same result shape as `train_model`: the model is built and compiled by
the functions the Keras path uses (so its optimizer is whatever `compile_model` makes), the
batch order of epoch e is `epoch_order(seed, e)`, early stopping is `should_stop`, and the
callbacks (resume points, live metrics, progress lines) see a Keras model holding the weights
of every finished epoch. Only the work inside an epoch moves onto the device
(mnist_cnn/training/epoch_program.py). `steps_per_execution` has no meaning here: a whole
epoch is one execution.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import keras

from mnist_cnn.errors import ParamsError
from mnist_cnn.models import build_model
from mnist_cnn.training.devices import COMPILED_EPOCH, require_jax_backend
from mnist_cnn.training.epoch_program import (
    EpochProgram,
    epoch_logs,
    load_state,
    prepare_optimizer,
    state_of,
)
from mnist_cnn.training.loop import (
    RecordEpochs,
    Split,
    Trained,
    TrainingJob,
    compile_model,
    epoch_order,
    should_stop,
)
from mnist_cnn.training.memory import check_fits_in_memory


def check_job(job: TrainingJob) -> None:
    """Refuse, in one line, a job this engine cannot run as asked."""
    require_jax_backend(COMPILED_EPOCH)
    if job.settings.data_parallel:
        raise ParamsError(
            f"train.engine = {COMPILED_EPOCH} trains on one device; set train.data_parallel: false"
        )
    settings = job.settings
    check_fits_in_memory(
        job.name, job.model.layers, job.image_shape, settings.batch_size, settings.optimizer
    )


def fresh_model(job: TrainingJob, seed: int) -> keras.Model:
    """The job's model with `seed`'s initial weights, compiled as `fit` would use it."""
    model = build_model(job.name, job.model.layers, job.image_shape, seed)
    compile_model(model, job.settings.optimizer, steps_per_execution=1)
    prepare_optimizer(model)
    return model


def on_device(split: Split) -> tuple[Any, Any]:
    """The split's uint8 images and one-hot labels, copied to the default device once."""
    return jnp.asarray(split.images), jnp.asarray(split.one_hot)


def train_model_compiled(
    job: TrainingJob,
    *,
    train: Split,
    val: Split,
    steps_per_execution: int = 1,
    resume: Callable[[], Trained | None] = lambda: None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 0,
) -> Trained:
    """`train_model`'s contract, each epoch run as one compiled program on the device."""
    check_job(job)
    start = resume()
    if start is None:
        model, history = fresh_model(job, job.seed), []
    else:
        model, history = start.model, list(start.history)
        prepare_optimizer(model)
    program = EpochProgram(model, job.settings.batch_size, job.settings.eval_batch_size)
    run_epoch = jax.jit(program.epoch)
    listeners = [RecordEpochs(history), *callbacks]
    for listener in listeners:
        listener.set_model(model)
    state = state_of(model)
    train_data, val_data = on_device(train), on_device(val)
    counts = (len(train.images), len(val.images))
    while len(history) < job.model.epochs and not should_stop(history, job.model.early_stopping):
        epoch = len(history)
        for listener in listeners:
            listener.on_epoch_begin(epoch)
        order = jnp.asarray(epoch_order(counts[0], job.seed, epoch), dtype=jnp.int32)
        state, train_totals, val_totals = run_epoch(state, train_data, val_data, order)
        if callbacks:
            load_state(model, state)
        logs = epoch_logs(train_totals, val_totals, counts)
        for listener in listeners:
            listener.on_epoch_end(epoch, logs)
    load_state(model, state)
    return Trained(model=model, history=history)
