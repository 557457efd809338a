"""Layer specs: an architecture declared as data in params.yaml, checked without Keras.

Each `kind` in LAYER_KINDS is a frozen dataclass; `output_shape` does the arithmetic Keras
would do, so an architecture that collapses below 1x1 is refused at validation time.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Literal

from stages.errors import ParamsError

Activation = Literal["relu", "softmax", "linear", "sigmoid", "tanh"]
Padding = Literal["valid", "same"]


def _conv_output(size: int, window: int, stride: int, padding: str) -> int:
    if padding == "same":
        return -(-size // stride)
    return (size - window) // stride + 1


@dataclass(frozen=True)
class Conv2D:
    filters: int
    kernel_size: int
    activation: Activation
    padding: Padding = "valid"
    l2: float = 0.0

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        height, width, _ = shape
        return (
            _conv_output(height, self.kernel_size, 1, self.padding),
            _conv_output(width, self.kernel_size, 1, self.padding),
            self.filters,
        )


@dataclass(frozen=True)
class MaxPool:
    pool_size: int
    strides: int | None = None  # None: same as pool_size, as Keras does

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        height, width, channels = shape
        stride = self.strides or self.pool_size
        return (
            _conv_output(height, self.pool_size, stride, "valid"),
            _conv_output(width, self.pool_size, stride, "valid"),
            channels,
        )


@dataclass(frozen=True)
class Dropout:
    rate: float

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return shape


@dataclass(frozen=True)
class Flatten:
    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        size = 1
        for dimension in shape:
            size *= dimension
        return (size,)


@dataclass(frozen=True)
class GlobalAveragePool:
    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return (shape[-1],)


@dataclass(frozen=True)
class Dense:
    units: int
    activation: Activation
    l2: float = 0.0

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.units,)


LayerSpec = Conv2D | MaxPool | Dropout | Flatten | GlobalAveragePool | Dense

LAYER_KINDS: dict[str, type] = {
    "conv2d": Conv2D,
    "max_pool": MaxPool,
    "dropout": Dropout,
    "flatten": Flatten,
    "global_average_pool": GlobalAveragePool,
    "dense": Dense,
}

# (low, high, low_open, high_open) per field name; the same meaning wherever it appears.
_FIELD_RANGES: dict[str, tuple[float, float | None, bool, bool]] = {
    "filters": (1, 4096, False, False),
    "kernel_size": (1, 64, False, False),
    "pool_size": (1, 64, False, False),
    "strides": (1, 64, False, False),
    "units": (1, 65536, False, False),
    "rate": (0, 1, False, True),
    "l2": (0, None, False, False),
}
_SPATIAL = (Conv2D, MaxPool)


def parse_layer(key: str, raw: Any) -> LayerSpec:
    """One `{kind: ..., ...}` mapping to its spec dataclass, strictly."""
    from stages.params import convert  # shared strict scalar conversion

    if not isinstance(raw, dict) or "kind" not in raw:
        raise ParamsError(f"{key} = {raw!r} must be a mapping with a 'kind'")
    kind = raw["kind"]
    if kind not in LAYER_KINDS:
        raise ParamsError(
            f"{key}.kind = {kind!r} is not a known layer kind; expected one of "
            f"{', '.join(LAYER_KINDS)}"
        )
    cls = LAYER_KINDS[kind]
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for name, value in raw.items():
        if name == "kind":
            continue
        if name not in fields:
            allowed = ", ".join(["kind", *fields])
            raise ParamsError(f"unknown key {key}.{name} for a {kind} layer; allowed: {allowed}")
        values[name] = convert(f"{key}.{name}", value, hints[name])
        _check_layer_range(f"{key}.{name}", name, values[name])
    missing = [
        name
        for name, f in fields.items()
        if name not in values and f.default is dataclasses.MISSING
    ]
    if missing:
        raise ParamsError(f"missing key {key}.{missing[0]} for a {kind} layer")
    return typing.cast(LayerSpec, cls(**values))


def _check_layer_range(key: str, name: str, value: Any) -> None:
    if name not in _FIELD_RANGES or value is None:
        return
    low, high, low_open, high_open = _FIELD_RANGES[name]
    if value < low or (high is not None and (value >= high if high_open else value > high)):
        allowed = f"[{low}, {'inf' if high is None else high}{')' if high_open else ']'}"
        raise ParamsError(f"{key} = {value!r} is out of range; allowed: {allowed}")


def parse_layers(key: str, raw: Any) -> tuple[LayerSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise ParamsError(f"{key} must be a non-empty list of layers")
    return tuple(parse_layer(f"{key}[{index}]", item) for index, item in enumerate(raw))


def kind_of(spec: LayerSpec) -> str:
    """The params.yaml `kind` name of a spec."""
    return next(name for name, cls in LAYER_KINDS.items() if isinstance(spec, cls))


def check_architecture(
    key: str, layers: tuple[LayerSpec, ...], input_shape: tuple[int, ...]
) -> tuple[int, ...]:
    """Follow the shapes through the layers; refuse collapse and spatial layers after flattening.

    Returns the output shape (the caller checks it against the number of classes).
    """
    shape = tuple(input_shape)
    for index, spec in enumerate(layers):
        where = f"{key}[{index}] ({kind_of(spec)})"
        if isinstance(spec, _SPATIAL + (Flatten, GlobalAveragePool)) and len(shape) != 3:
            raise ParamsError(
                f"{where} needs an image-shaped input but gets {shape}; "
                "spatial layers must come before flatten/global_average_pool"
            )
        if isinstance(spec, Dense) and len(shape) != 1:
            raise ParamsError(
                f"{where} needs a flat input but gets {shape}; "
                "put a flatten or global_average_pool before it"
            )
        shape = spec.output_shape(shape)
        if any(size < 1 for size in shape):
            raise ParamsError(
                f"{where} shrinks the feature map to {shape}, below 1x1; "
                "use fewer pooling layers, smaller kernels or 'same' padding"
            )
    return shape
