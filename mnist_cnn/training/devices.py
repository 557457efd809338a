"""Where training runs: one device, or data-parallel across every local accelerator.

With `train.data_parallel: true` each batch is split across the local devices and the
gradients are averaged, so the arithmetic is that of one device at the same global batch
size. JAX uses Keras' distribution API (keras.distribution.DataParallel); TensorFlow uses
tf.distribute.MirroredStrategy, the engine Keras drives on that backend. GPUs are preferred;
without them the CPU devices count (several only when configured, e.g. as virtual devices).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import keras

from mnist_cnn.errors import ParamsError


def local_devices() -> list[str]:
    """The devices a data-parallel run would use: every GPU/TPU, else every CPU device."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # MirroredStrategy wants TensorFlow's own device names

        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return [device.name for device in devices]
    if keras.backend.backend() == "jax":
        return list(keras.distribution.list_devices())
    raise ParamsError(
        f"train.data_parallel is supported on the jax and tensorflow backends, "
        f"not {keras.backend.backend()}; set it to false"
    )


def _strategy_scope(devices: list[str]) -> contextlib.AbstractContextManager[object]:
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.distribute.MirroredStrategy(devices=devices).scope()
    return keras.distribution.DataParallel(devices=devices).scope()


@contextlib.contextmanager
def training_scope(data_parallel: bool, batch_size: int) -> Iterator[int]:
    """Build, load and compile models inside this; yields how many devices share each batch."""
    if not data_parallel:
        yield 1
        return
    devices = local_devices()
    if len(devices) < 2:
        print(
            f"train.data_parallel: only one device ({devices[0]}); training on it", file=sys.stderr
        )
        yield 1
        return
    if batch_size % len(devices):
        raise ParamsError(
            f"train.batch_size = {batch_size} must be a multiple of the "
            f"{len(devices)} devices that train.data_parallel splits it across"
        )
    print(
        f"train.data_parallel: splitting each batch across {len(devices)} devices: "
        f"{', '.join(devices)}",
        file=sys.stderr,
    )
    with _strategy_scope(devices):
        yield len(devices)


# The train.engine value that needs JAX: one program per epoch (mnist_cnn/training/engines.py).
COMPILED_EPOCH = "compiled_epoch"


def require_jax_backend(engine: str) -> None:
    """ParamsError in one line unless Keras runs on JAX, which the compiled engine needs."""
    if keras.backend.backend() != "jax":
        raise ParamsError(
            f"train.engine = {engine} needs the JAX backend, but Keras runs on "
            f"{keras.backend.backend()}; set KERAS_BACKEND=jax or train.engine: keras_fit"
        )
