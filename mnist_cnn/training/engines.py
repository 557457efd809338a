"""`train.engine`: which loop trains a job. Both take and return the same things.

`keras_fit` is the reference (mnist_cnn/training/loop.py, any backend); `compiled_epoch` runs
each epoch as one JAX program (mnist_cnn/training/compiled_epoch.py). The compiled engine is
imported only when chosen, so a TensorFlow-only install never needs JAX.
"""

from __future__ import annotations

from collections.abc import Callable

from mnist_cnn.training.devices import COMPILED_EPOCH, require_jax_backend
from mnist_cnn.training.loop import Trained, train_model


def trainer(engine: str) -> Callable[..., Trained]:
    """The training function of `engine` (a value train.engine allows), with train_model's
    signature."""
    if engine != COMPILED_EPOCH:
        return train_model
    require_jax_backend(engine)
    from mnist_cnn.training.compiled_epoch import train_model_compiled

    return train_model_compiled
