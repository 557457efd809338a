"""Layer specs (stages.layers) to a Keras model: one builder, a registry of layer kinds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from stages.layers import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePool,
    LayerSpec,
    MaxPool,
)

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


def summary_text(model: keras.Model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line), line_length=88)
    return "\n".join(lines) + "\n"
