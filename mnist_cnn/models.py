"""Layer specs (mnist_cnn.params.layers) to a Keras model: one builder, a registry of kinds."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from mnist_cnn import files
from mnist_cnn.errors import DataError
from mnist_cnn.params.layers import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePool,
    LayerSpec,
    MaxPool,
)
from mnist_cnn.params.optimizers import SGD, Adam, OptimizerSpec

# Pixels arrive as uint8 0-255; the notebook divided by 255 before fitting.
PIXEL_SCALE = 1.0 / 255.0


def _regularizer(factor: float) -> keras.regularizers.Regularizer | None:
    return keras.regularizers.L2(factor) if factor > 0 else None


def _conv2d(spec: Conv2D, seed: int) -> keras.layers.Layer:
    return keras.layers.Conv2D(
        spec.filters,
        spec.kernel_size,
        padding=spec.padding,
        activation=spec.activation,
        kernel_regularizer=_regularizer(spec.l2),
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
    )


def _dense(spec: Dense, seed: int) -> keras.layers.Layer:
    return keras.layers.Dense(
        spec.units,
        activation=spec.activation,
        kernel_regularizer=_regularizer(spec.l2),
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
    )


def _max_pool(spec: MaxPool, seed: int) -> keras.layers.Layer:
    return keras.layers.MaxPooling2D(spec.pool_size, strides=spec.strides or spec.pool_size)


def _dropout(spec: Dropout, seed: int) -> keras.layers.Layer:
    return keras.layers.Dropout(spec.rate, seed=seed)


LAYER_BUILDERS: dict[type, Callable[[Any, int], keras.layers.Layer]] = {
    Conv2D: _conv2d,
    Dense: _dense,
    MaxPool: _max_pool,
    Dropout: _dropout,
    Flatten: lambda spec, seed: keras.layers.Flatten(),
    GlobalAveragePool: lambda spec, seed: keras.layers.GlobalAveragePooling2D(),
}


OPTIMIZER_BUILDERS: dict[type, Callable[[Any], keras.optimizers.Optimizer]] = {
    Adam: lambda spec: keras.optimizers.Adam(
        learning_rate=spec.learning_rate,
        beta_1=spec.beta_1,
        beta_2=spec.beta_2,
        epsilon=spec.epsilon,
    ),
    SGD: lambda spec: keras.optimizers.SGD(
        learning_rate=spec.learning_rate, momentum=spec.momentum, nesterov=spec.nesterov
    ),
}


def build_optimizer(spec: OptimizerSpec) -> keras.optimizers.Optimizer:
    """The Keras optimizer a declared optimizer spec names."""
    return OPTIMIZER_BUILDERS[type(spec)](spec)


def build_model(
    name: str, layers: tuple[LayerSpec, ...], image_shape: tuple[int, ...], seed: int
) -> keras.Sequential:
    """A Sequential model of the declared layers, preceded by the shared pixel scaling.

    Each layer gets its own seed derived from `seed`, so initial weights and dropout masks
    depend only on params, not on how many models were built before in the process.
    """
    built = [
        keras.Input(shape=image_shape, name="pixels"),
        keras.layers.Rescaling(PIXEL_SCALE, name="scale_pixels"),
    ]
    for index, spec in enumerate(layers):
        built.append(LAYER_BUILDERS[type(spec)](spec, seed * 1000 + index))
    return keras.Sequential(built, name=name)


def _weights_count(weights: list[Any]) -> int:
    return sum(int(np.prod(weight.shape)) for weight in weights)


def summary_text(model: keras.Model) -> str:
    """The notebook's model summary as plain text: every layer's output shape and Param #.

    Written here rather than by Keras' summary, which cuts its table at the width of the
    terminal it guesses (80 columns without one), dropping the Param # column.
    """
    header = ("Layer (type)", "Output Shape", "Param #")
    rows = [
        (
            f"{layer.name} ({type(layer).__name__})",
            str(tuple(layer.output.shape)),
            f"{layer.count_params():,}",
        )
        for layer in model.layers
    ]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(3)]

    def line(row: tuple[str, str, str]) -> str:
        return f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}"

    rule = "-" * len(line(header))
    trainable = _weights_count(model.trainable_weights)
    non_trainable = _weights_count(model.non_trainable_weights)
    lines = [
        f'Model: "{model.name}"',
        rule,
        line(header),
        rule,
        *(line(row) for row in rows),
        rule,
        f"Total params: {trainable + non_trainable:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {non_trainable:,}",
    ]
    return "\n".join(lines) + "\n"


# Keras stamps the save time into a .keras archive twice (metadata.json's date_saved and the
# weights member's zip date), and config.json names objects shared between layers (the dtype
# policy) by their memory address, which differs from process to process; fixed dates and
# renumbered addresses make the same model the same bytes, so that reproducing the pipeline
# leaves dvc.lock unchanged.
FIXED_SAVE_DATE = "1980-01-01@00:00:00"
FIXED_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


SHARED_OBJECT_ID = "shared_object_id"


def renumbered_shared_objects(config: Any, numbers: dict[int, int] | None = None) -> Any:
    """`config` with every shared_object_id (a memory address) replaced by 1, 2, ... in order
    of first appearance: the same objects stay shared, and the text no longer depends on where
    the process put them."""
    numbers = {} if numbers is None else numbers
    if isinstance(config, list):
        return [renumbered_shared_objects(item, numbers) for item in config]
    if not isinstance(config, dict):
        return config
    renumbered = {}
    for key, value in config.items():
        if key == SHARED_OBJECT_ID:
            renumbered[key] = numbers.setdefault(value, len(numbers) + 1)
        else:
            renumbered[key] = renumbered_shared_objects(value, numbers)
    return renumbered


def deterministic_archive(saved: bytes) -> bytes:
    """A .keras archive with its save dates fixed and its shared objects renumbered; everything
    else as is."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved)) as source, zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "metadata.json":
                metadata = json.loads(data)
                metadata["date_saved"] = FIXED_SAVE_DATE
                data = json.dumps(metadata).encode("utf-8")
            if member.filename == "config.json":
                data = json.dumps(renumbered_shared_objects(json.loads(data))).encode("utf-8")
            fixed = zipfile.ZipInfo(member.filename, date_time=FIXED_ZIP_DATE)
            fixed.compress_type = member.compress_type
            fixed.external_attr = member.external_attr
            target.writestr(fixed, data)
    return output.getvalue()


def save_model_file(model: keras.Model, target: Path) -> None:
    """Save `model` to `target` atomically, as bytes that depend only on the model."""
    with files.atomic_path(target) as temporary:
        model.save(temporary)
        temporary.write_bytes(deterministic_archive(temporary.read_bytes()))


def load_model_file(path: Path, compile: bool = True) -> keras.Model:
    """A saved .keras model; DataError in one line if the file is missing or not a model."""
    if not path.is_file():
        raise DataError(f"{path}: file not found; run the training stage that writes it")
    try:
        return keras.saving.load_model(path, compile=compile)
    # A damaged or foreign file fails deep inside Keras with whatever its parser raises; none
    # of that is the user's to read, only that this file is not a usable model.
    except Exception as error:  # noqa: BLE001
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"{path}: not a readable Keras model ({reason[:200]})") from None
