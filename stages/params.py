"""params.yaml as typed, frozen dataclasses, validated once before any stage does work.

Every section is a dataclass; a generic converter walks the YAML against the type hints,
so unknown keys, wrong types (a bool is not an int) and out-of-range values are refused
with the dotted key, the value and what is allowed. Layer specs and their shape checks
live in `stages.layers`.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from stages.errors import ParamsError
from stages.layers import LayerSpec, check_architecture, parse_layers
from stages.mnist_idx import MNIST_FILES

PARAMS_FILE = Path("params.yaml")


def bounded(
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> dict[str, Any]:
    """Field metadata declaring the allowed range of a number."""
    return {"range": (low, high, low_open, high_open)}


@dataclass(frozen=True)
class DownloadParams:
    mirrors: tuple[str, ...]
    sha256: dict[str, str]
    attempts: int = field(default=3, metadata=bounded(1, 20))
    backoff_seconds: float = field(default=1.0, metadata=bounded(0, 60))
    timeout_seconds: float = field(default=30.0, metadata=bounded(0, 600, low_open=True))


@dataclass(frozen=True)
class SplitParams:
    val_fraction: float = field(metadata=bounded(0, 1, low_open=True, high_open=True))
    stratify: bool
    limit: int | None = field(default=None, metadata=bounded(20, None))


@dataclass(frozen=True)
class TrainParams:
    batch_size: int = field(metadata=bounded(1, 65536))
    learning_rate: float = field(metadata=bounded(0, 1, low_open=True))
    eval_batch_size: int = field(metadata=bounded(1, 65536))
    steps_per_execution: int = field(metadata=bounded(1, 100000))
    deterministic: bool
    precision: Literal["float32", "mixed_bfloat16"]
    threads: int | None = field(metadata=bounded(1, 1024))
    data_parallel: bool
    resume_dir: str


@dataclass(frozen=True)
class EarlyStoppingParams:
    monitor: Literal["val_accuracy", "val_loss"]
    patience: int = field(metadata=bounded(1, 1000))


@dataclass(frozen=True)
class ModelParams:
    epochs: int = field(metadata=bounded(1, 1000))
    early_stopping: EarlyStoppingParams | None
    layers: tuple[LayerSpec, ...]


@dataclass(frozen=True)
class EvaluateParams:
    batch_size: int = field(metadata=bounded(1, 65536))
    confidence: float = field(metadata=bounded(0, 1, low_open=True, high_open=True))
    significance: float = field(metadata=bounded(0, 1, low_open=True, high_open=True))
    val_loss_rise_tolerance: float = field(metadata=bounded(0, None))
    gap_tolerance: float = field(metadata=bounded(0, 1))
    misclassified_images: int = field(metadata=bounded(1, 400))


@dataclass(frozen=True)
class CrossvalParams:
    enabled: bool
    folds: int = field(metadata=bounded(2, 100))
    epochs: int = field(metadata=bounded(1, 1000))
    models: tuple[str, ...]


@dataclass(frozen=True)
class Params:
    seed: int = field(metadata=bounded(0, 2**31 - 1))
    num_classes: int = field(metadata=bounded(2, 256))
    image_shape: tuple[int, ...]
    download: DownloadParams
    split: SplitParams
    train: TrainParams
    models: dict[str, ModelParams]
    evaluate: EvaluateParams
    crossval: CrossvalParams

    def model(self, name: str) -> ModelParams:
        """The declared model `name`, or a ParamsError listing the declared ones."""
        if name not in self.models:
            raise ParamsError(f"unknown model {name!r}; expected one of {', '.join(self.models)}")
        return self.models[name]


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _check_range(key: str, value: float, metadata: dict[str, Any]) -> None:
    if "range" not in metadata or value is None:
        return
    low, high, low_open, high_open = metadata["range"]
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high or (isinstance(value, float) and not math.isfinite(value)):
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lowest, highest = "-inf" if low is None else low, "inf" if high is None else high
        allowed = f"{left}{lowest}, {highest}{right}"
        raise ParamsError(f"{key} = {value!r} is out of range; allowed: {allowed}")


def convert(key: str, value: Any, hint: Any) -> Any:
    """Convert one YAML value to `hint`, strictly; `key` is the dotted path for errors."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return convert(key, value, inner)
    if hint is LayerSpec or (origin is tuple and args and args[0] is LayerSpec):
        return parse_layers(key, value)
    if origin is Literal:
        if value not in args:
            raise ParamsError(
                f"{key} = {value!r} is not allowed; expected one of {', '.join(map(str, args))}"
            )
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build_dataclass(key, value, hint)
    if origin is tuple:
        if not isinstance(value, list):
            raise ParamsError(f"{key} = {_describe(value)} must be a list")
        return tuple(convert(f"{key}[{index}]", item, args[0]) for index, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict) or not value:
            raise ParamsError(f"{key} = {_describe(value)} must be a non-empty mapping")
        return {str(name): convert(f"{key}.{name}", item, args[1]) for name, item in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise ParamsError(f"{key} = {_describe(value)} must be true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"{key} = {_describe(value)} must be an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamsError(f"{key} = {_describe(value)} must be a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str) or not value:
            raise ParamsError(f"{key} = {_describe(value)} must be a non-empty string")
        return value
    raise TypeError(f"no converter for {hint!r} at {key}")


def build_dataclass(key: str, mapping: Any, cls: type) -> Any:
    """Build dataclass `cls` from a mapping, refusing unknown and missing keys."""
    if not isinstance(mapping, dict):
        raise ParamsError(f"{key or 'params'} = {_describe(mapping)} must be a mapping")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    prefix = f"{key}." if key else ""
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise ParamsError(
            f"unknown key {prefix}{unknown[0]}; allowed keys here: {', '.join(fields)}"
        )
    values = {}
    for name, spec in fields.items():
        if name not in mapping:
            if spec.default is not dataclasses.MISSING:
                continue
            raise ParamsError(f"missing key {prefix}{name}")
        values[name] = convert(f"{prefix}{name}", mapping[name], hints[name])
        _check_range(f"{prefix}{name}", values[name], dict(spec.metadata))
    return cls(**values)


def _check_crossval_models(params: Params) -> None:
    names = params.crossval.models
    unknown = [name for name in names if name not in params.models]
    if unknown:
        raise ParamsError(
            f"crossval.models lists unknown model {unknown[0]!r}; expected one "
            f"of {', '.join(params.models)}"
        )
    if not names or len(set(names)) != len(names):
        raise ParamsError(
            f"crossval.models = {list(names)} must list at least one model, each once"
        )


def parse_params(raw: Any) -> Params:
    """Validate a parsed params mapping as a whole: types, ranges and architectures."""
    params: Params = build_dataclass("", raw, Params)
    if sorted(params.download.sha256) != sorted(MNIST_FILES):
        raise ParamsError(
            f"download.sha256 must list exactly {', '.join(MNIST_FILES)}; "
            f"got {', '.join(params.download.sha256)}"
        )
    bad_digest = [
        name
        for name, digest in params.download.sha256.items()
        if len(digest) != 64 or set(digest) - set("0123456789abcdef")
    ]
    if bad_digest:
        raise ParamsError(f"download.sha256.{bad_digest[0]} must be 64 lowercase hex digits")
    if len(params.image_shape) != 3 or min(params.image_shape) < 1:
        raise ParamsError(
            f"image_shape = {list(params.image_shape)} must be [height, width, "
            "channels], each at least 1"
        )
    _check_crossval_models(params)
    for name, model in params.models.items():
        key = f"models.{name}.layers"
        output = check_architecture(key, model.layers, params.image_shape)
        if output != (params.num_classes,):
            raise ParamsError(
                f"{key} ends in shape {output}; the last layer must be a dense "
                f"layer of num_classes = {params.num_classes} units"
            )
    return params


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and validate params.yaml; YAML syntax errors name the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: file not found (run from the repository root)") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ParamsError(f"{where}: malformed YAML: {error.problem}") from None
    return parse_params(raw)
