"""Layer specs: an architecture declared as data in params.yaml, checked without Keras.

Each spec is a frozen dataclass whose `kind` is its name in params.yaml and whose fields carry
their allowed ranges; the validator builds them like any other section. `keras_class` names the
Keras layer mnist_cnn/models.py builds for it and `detail()` says its settings in a few words:
together, the label of its box in the network diagrams. `output_shape` does
the arithmetic Keras would do, so an architecture that collapses below 1x1 is refused before
any stage runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from mnist_cnn.errors import ParamsError
from mnist_cnn.params.validation import bounded

Activation = Literal["relu", "softmax", "linear", "sigmoid", "tanh"]
Padding = Literal["valid", "same"]
Shape = tuple[int, ...]

# Widths beyond these are typos, not architectures (and would not fit in memory).
MAX_FILTERS = 4096
MAX_UNITS = 65536
MAX_WINDOW = 64


def _with_l2(text: str, factor: float) -> str:
    return f"{text}, L2 {factor}" if factor else text


def _window_output(size: int, window: int, stride: int, padding: str) -> int:
    if padding == "same":
        return -(-size // stride)
    return (size - window) // stride + 1


@dataclass(frozen=True)
class Conv2D:
    kind: ClassVar[str] = "conv2d"
    keras_class: ClassVar[str] = "Conv2D"
    filters: int = field(metadata=bounded(1, MAX_FILTERS))
    kernel_size: int = field(metadata=bounded(1, MAX_WINDOW))
    activation: Activation
    padding: Padding = "valid"
    l2: float = field(default=0.0, metadata=bounded(0, None))

    def detail(self) -> str:
        return _with_l2(f"{self.filters} filters {self.kernel_size}x{self.kernel_size}", self.l2)

    def output_shape(self, shape: Shape) -> Shape:
        height, width, _ = shape
        return (
            _window_output(height, self.kernel_size, 1, self.padding),
            _window_output(width, self.kernel_size, 1, self.padding),
            self.filters,
        )


@dataclass(frozen=True)
class MaxPool:
    kind: ClassVar[str] = "max_pool"
    keras_class: ClassVar[str] = "MaxPooling2D"
    pool_size: int = field(metadata=bounded(1, MAX_WINDOW))
    # None: the same as pool_size, as Keras does.
    strides: int | None = field(default=None, metadata=bounded(1, MAX_WINDOW))

    def detail(self) -> str:
        return f"{self.pool_size}x{self.pool_size}"

    def output_shape(self, shape: Shape) -> Shape:
        height, width, channels = shape
        stride = self.strides or self.pool_size
        return (
            _window_output(height, self.pool_size, stride, "valid"),
            _window_output(width, self.pool_size, stride, "valid"),
            channels,
        )


@dataclass(frozen=True)
class Dropout:
    kind: ClassVar[str] = "dropout"
    keras_class: ClassVar[str] = "Dropout"
    rate: float = field(metadata=bounded(0, 1, high_open=True))

    def detail(self) -> str:
        return f"rate {self.rate}"

    def output_shape(self, shape: Shape) -> Shape:
        return shape


@dataclass(frozen=True)
class Flatten:
    kind: ClassVar[str] = "flatten"
    keras_class: ClassVar[str] = "Flatten"

    def detail(self) -> str:
        return ""

    def output_shape(self, shape: Shape) -> Shape:
        size = 1
        for dimension in shape:
            size *= dimension
        return (size,)


@dataclass(frozen=True)
class GlobalAveragePool:
    kind: ClassVar[str] = "global_average_pool"
    keras_class: ClassVar[str] = "GlobalAveragePooling2D"

    def detail(self) -> str:
        return ""

    def output_shape(self, shape: Shape) -> Shape:
        return (shape[-1],)


@dataclass(frozen=True)
class Dense:
    kind: ClassVar[str] = "dense"
    keras_class: ClassVar[str] = "Dense"
    units: int = field(metadata=bounded(1, MAX_UNITS))
    activation: Activation
    l2: float = field(default=0.0, metadata=bounded(0, None))

    def detail(self) -> str:
        return _with_l2(f"{self.units} units", self.l2)

    def output_shape(self, shape: Shape) -> Shape:
        return (self.units,)


LayerSpec = Conv2D | MaxPool | Dropout | Flatten | GlobalAveragePool | Dense
_SPATIAL = (Conv2D, MaxPool, Flatten, GlobalAveragePool)


def _size(shape: Shape) -> int:
    size = 1
    for dimension in shape:
        size *= dimension
    return size


def weight_count(spec: LayerSpec, input_shape: Shape) -> int:
    """Weights and biases of one layer, as Keras counts them."""
    if isinstance(spec, Conv2D):
        return spec.kernel_size**2 * input_shape[-1] * spec.filters + spec.filters
    if isinstance(spec, Dense):
        return input_shape[-1] * spec.units + spec.units
    return 0


def architecture_size(layers: tuple[LayerSpec, ...], input_shape: Shape) -> tuple[int, int]:
    """(weights, activation values per image) of a valid architecture."""
    shape, weights, activations = tuple(input_shape), 0, _size(input_shape)
    for spec in layers:
        weights += weight_count(spec, shape)
        shape = spec.output_shape(shape)
        activations += _size(shape)
    return weights, activations


def _check_softmax_end(key: str, layers: tuple[LayerSpec, ...], names: Sequence[str]) -> None:
    # Evaluation and mnist-predict read the last layer's outputs as class probabilities; any
    # other end trains, then fails (or prints scores as if they were probabilities) hours later.
    required = "{kind: dense, units: <num_classes>, activation: softmax}"
    if not layers:
        raise ParamsError(f"{key} is empty; it must end in {required}")
    last = layers[-1]
    if not (isinstance(last, Dense) and last.activation == "softmax"):
        raise ParamsError(
            f"{key}.{names[-1]} ({_describe(last)}) is the last layer; it must be {required}"
        )


def _describe(spec: LayerSpec) -> str:
    activation = getattr(spec, "activation", None)
    return spec.kind if activation is None else f"{spec.kind}, activation: {activation}"


def check_architecture(
    key: str, layers: tuple[LayerSpec, ...], names: Sequence[str], input_shape: Shape
) -> Shape:
    """Follow the shapes through the layers (named `names` in params.yaml); refuse collapse,
    spatial layers after flattening and an end other than a softmax dense layer.

    Returns the output shape (the caller checks it against the number of classes).
    """
    _check_softmax_end(key, layers, names)
    shape = tuple(input_shape)
    for name, spec in zip(names, layers, strict=True):
        where = f"{key}.{name} ({spec.kind})"
        if isinstance(spec, _SPATIAL) and len(shape) != 3:
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
