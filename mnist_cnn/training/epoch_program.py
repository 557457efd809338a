"""One training epoch, and one validation pass, as a single compiled JAX program.

The Keras `fit` path (mnist_cnn/training/loop.py) dispatches every batch from Python; here the
images stay on the device as uint8, the epoch's batch order arrives as one index array, and
`jax.lax.scan` runs the steps. Each step is the step Keras' JAX trainer takes: the model's
`stateless_call` (dropout draws from the layers' own seed generators, whose state is among the
non-trainable variables), categorical cross-entropy plus the layers' L2 penalties, gradients by
`jax.value_and_grad`, and the compiled optimizer's `stateless_apply`. The logs are Keras': loss
and accuracy averaged over the epoch's images, validation loss including the penalties.

Functions here are pure over (state, data); `EpochProgram` only closes over the Keras model
and optimizer that define them, so the same functions serve one seed or, under `jax.vmap`,
many (mnist_cnn/training/many_seeds.py).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import keras
import numpy as np


class ModelState(NamedTuple):
    """The values of a model's variables and of its optimizer's, as device arrays."""

    trainable: list[Any]
    non_trainable: list[Any]
    optimizer: list[Any]


class Totals(NamedTuple):
    """Running sums over an epoch, kept as Keras' Mean metrics keep them."""

    loss: Any  # sum of batch loss x batch size, float32
    correct: Any  # right answers, int32


def prepare_optimizer(model: keras.Model) -> None:
    """Create the compiled optimizer's variables, as `fit` would before its first step."""
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def state_of(model: keras.Model) -> ModelState:
    """The current values of a compiled, optimizer-built model."""
    return ModelState(
        trainable=[variable.value for variable in model.trainable_variables],
        non_trainable=[variable.value for variable in model.non_trainable_variables],
        optimizer=[variable.value for variable in model.optimizer.variables],
    )


def load_state(model: keras.Model, state: ModelState) -> None:
    """Write `state` back into the model's variables, so Keras can save or evaluate it."""
    for variables, values in (
        (model.trainable_variables, state.trainable),
        (model.non_trainable_variables, state.non_trainable),
        (model.optimizer.variables, state.optimizer),
    ):
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)


def batch_slices(count: int, batch_size: int) -> tuple[int, int]:
    """(full batches, images left over for a last, smaller batch), as `fit` cuts an epoch."""
    return count // batch_size, count % batch_size


class EpochProgram:
    """The pure step, epoch and validation functions of one compiled Keras model."""

    def __init__(self, model: keras.Model, batch_size: int, eval_batch_size: int) -> None:
        self.model = model
        self.optimizer = model.optimizer
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size

    def batch_loss(
        self, trainable: list, non_trainable: list, images: Any, one_hot: Any, training: bool
    ) -> tuple[Any, tuple[list, Any]]:
        """Keras' total loss of one batch, with the updated non-trainable values and the
        number of right answers."""
        outputs, non_trainable, penalties = self.model.stateless_call(
            trainable, non_trainable, images, training=training, return_losses=True
        )
        probabilities = jnp.asarray(outputs, jnp.float32)
        data_loss = jnp.mean(keras.losses.categorical_crossentropy(one_hot, probabilities))
        terms = [data_loss, *(jnp.sum(penalty).astype(jnp.float32) for penalty in penalties)]
        loss = jnp.sum(jnp.stack(terms)) if len(terms) > 1 else data_loss
        correct = jnp.sum(jnp.argmax(probabilities, -1) == jnp.argmax(one_hot, -1))
        return loss, (non_trainable, correct.astype(jnp.int32))

    def train_step(
        self, state: ModelState, totals: Totals, images: Any, one_hot: Any
    ) -> tuple[ModelState, Totals]:
        gradient_of = jax.value_and_grad(self.batch_loss, has_aux=True)
        (loss, (non_trainable, correct)), gradients = gradient_of(
            state.trainable, state.non_trainable, images, one_hot, True
        )
        trainable, optimizer = self.optimizer.stateless_apply(
            state.optimizer, gradients, state.trainable
        )
        size = images.shape[0]
        return (
            ModelState(list(trainable), list(non_trainable), list(optimizer)),
            Totals(totals.loss + loss * size, totals.correct + correct),
        )

    def train_epoch(
        self, state: ModelState, images: Any, one_hot: Any, order: Any
    ) -> tuple[ModelState, Totals]:
        """One epoch over `images[order]` in batches: the last one smaller, as in `fit`."""
        full, rest = batch_slices(order.shape[0], self.batch_size)

        def step(carry: tuple[ModelState, Totals], rows: Any) -> tuple[Any, None]:
            return self.train_step(*carry, images[rows], one_hot[rows]), None

        carry = (state, Totals(jnp.float32(0), jnp.int32(0)))
        if full:
            batches = order[: full * self.batch_size].reshape(full, self.batch_size)
            carry, _ = jax.lax.scan(step, carry, batches)
        if rest:
            carry, _ = step(carry, order[full * self.batch_size :])
        return carry

    def evaluate(self, state: ModelState, images: Any, one_hot: Any) -> Totals:
        """Validation in batches of eval_batch_size, in order, dropout off."""
        full, rest = batch_slices(images.shape[0], self.eval_batch_size)

        def batch(totals: Totals, start: Any, size: int) -> Totals:
            rows_images = jax.lax.dynamic_slice_in_dim(images, start, size)
            rows_one_hot = jax.lax.dynamic_slice_in_dim(one_hot, start, size)
            loss, (_, correct) = self.batch_loss(
                state.trainable, state.non_trainable, rows_images, rows_one_hot, False
            )
            return Totals(totals.loss + loss * size, totals.correct + correct)

        def step(totals: Totals, start: Any) -> tuple[Totals, None]:
            return batch(totals, start, self.eval_batch_size), None

        totals = Totals(jnp.float32(0), jnp.int32(0))
        # A scan traces its step even over no batches, and a batch larger than the images
        # does not slice: with fewer images than one batch, only the last batch runs.
        if full:
            starts = jnp.arange(full, dtype=jnp.int32) * self.eval_batch_size
            totals, _ = jax.lax.scan(step, totals, starts)
        if rest:
            totals = batch(totals, full * self.eval_batch_size, rest)
        return totals

    def epoch(
        self, state: ModelState, train: tuple[Any, Any], val: tuple[Any, Any], order: Any
    ) -> tuple[ModelState, Totals, Totals]:
        """Train one epoch, then validate the result: the whole of what `fit` does per epoch."""
        state, train_totals = self.train_epoch(state, *train, order)
        return state, train_totals, self.evaluate(state, *val)


def epoch_logs(train_totals: Totals, val_totals: Totals, counts: tuple[int, int]) -> dict:
    """Keras' end-of-epoch logs from the totals: float32 means, as its Mean metrics give."""
    train_count, val_count = (np.float32(count) for count in counts)
    return {
        "accuracy": float(np.float32(train_totals.correct) / train_count),
        "loss": float(np.float32(train_totals.loss) / train_count),
        "val_accuracy": float(np.float32(val_totals.correct) / val_count),
        "val_loss": float(np.float32(val_totals.loss) / val_count),
    }
