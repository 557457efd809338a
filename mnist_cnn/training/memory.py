"""Whether a training fits in this machine's memory, decided before Keras allocates anything.

A layer declared thousands of times too wide would otherwise end in TensorFlow's
ResourceExhausted traceback, or in the kernel killing the process, after a long wait.
"""

from __future__ import annotations

import os

from mnist_cnn.errors import ParamsError
from mnist_cnn.params.layers import LayerSpec, Shape, architecture_size
from mnist_cnn.params.optimizers import OptimizerSpec

FLOAT_BYTES = 4
# Each weight and its gradient, before what the optimizer keeps beside it (its slots).
COPIES_PER_WEIGHT = 2
# Every activation is kept for the backward pass, and its gradient is computed there.
COPIES_PER_ACTIVATION = 2


def training_bytes(
    layers: tuple[LayerSpec, ...], image_shape: Shape, batch_size: int, optimizer: OptimizerSpec
) -> int:
    """A lower bound of what training these layers with `optimizer` holds in memory at once."""
    weights, activations = architecture_size(layers, image_shape)
    per_weight = COPIES_PER_WEIGHT + optimizer.slots_per_weight
    per_batch = activations * batch_size * COPIES_PER_ACTIVATION
    return FLOAT_BYTES * (weights * per_weight + per_batch)


def physical_memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_fits_in_memory(
    name: str,
    layers: tuple[LayerSpec, ...],
    image_shape: Shape,
    batch_size: int,
    optimizer: OptimizerSpec,
    available: int | None = None,
) -> None:
    """ParamsError naming the model when even the lower bound exceeds the machine's memory."""
    available = physical_memory_bytes() if available is None else available
    needed = training_bytes(layers, image_shape, batch_size, optimizer)
    if needed > available:
        weights, _ = architecture_size(layers, image_shape)
        raise ParamsError(
            f"models.{name} needs at least {needed / 2**30:.1f} GiB to train "
            f"({weights:,} weights, batch {batch_size}) but this machine has "
            f"{available / 2**30:.1f} GiB; make its layers narrower or train.batch_size smaller"
        )
