"""params.yaml as typed, frozen dataclasses: one per section, with the allowed range of each knob.

`parse_params` builds them through the one validator (mnist_cnn.params.validation) and then
checks what spans fields: every URL mirror can be requested, the checksums name the four MNIST
files, the image shape is 3-D, every architecture fits the image and ends in one score per class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from mnist_cnn.errors import ParamsError
from mnist_cnn.idx import MNIST_FILES
from mnist_cnn.params.layers import Conv2D, Dense, LayerSpec, check_architecture
from mnist_cnn.params.optimizers import OptimizerSpec
from mnist_cnn.params.urls import is_url, url_problem
from mnist_cnn.params.validation import FolderName, Name, Named, bounded, build_dataclass

# metrics/evaluate.json holds one key per model and this one for the paired tests, so no model
# may carry this name.
PAIRS_KEY = "pairs"


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
    """What decides the trained weights: every training stage depends on this section."""

    batch_size: int = field(metadata=bounded(1, 65536))
    optimizer: OptimizerSpec
    eval_batch_size: int = field(metadata=bounded(1, 65536))
    deterministic: bool
    precision: Literal["float32", "mixed_bfloat16"]
    threads: int | None = field(metadata=bounded(1, 1024))
    data_parallel: bool
    cpu_kernels: Literal["portable", "native"]
    epoch_cap: int | None = field(default=None, metadata=bounded(1, 1000))
    engine: Literal["keras_fit", "compiled_epoch"] = "keras_fit"


@dataclass(frozen=True)
class RuntimeParams:
    """How training runs, never what it computes: no training stage depends on this section."""

    steps_per_execution: int = field(metadata=bounded(1, 100000))
    resume_dir: FolderName
    study_engine: Literal["ray", "in_process"]
    study_parallel: int = field(metadata=bounded(1, 1024))
    study_cache_dir: FolderName


@dataclass(frozen=True)
class EarlyStoppingParams:
    monitor: Literal["val_accuracy", "val_loss"]
    patience: int = field(metadata=bounded(1, 1000))


@dataclass(frozen=True)
class ModelParams:
    epochs: int = field(metadata=bounded(1, 1000))
    early_stopping: EarlyStoppingParams | None
    # Written as {name: layer} in params.yaml (validation.Named); the names only address layers.
    layers: Annotated[
        tuple[LayerSpec, ...],
        Named("layer names to layers, input first", "conv1: {kind: conv2d, filters: 32, ...}"),
    ]


@dataclass(frozen=True)
class EvaluateParams:
    batch_size: int = field(metadata=bounded(1, 65536))
    confidence: float = field(metadata=bounded(0, 1, low_open=True, high_open=True))
    significance: float = field(metadata=bounded(0, 1, low_open=True, high_open=True))
    val_loss_rise_tolerance: float = field(metadata=bounded(0, None))
    gap_tolerance: float = field(metadata=bounded(0, 1))
    misclassified_images: int = field(metadata=bounded(1, 400))


@dataclass(frozen=True)
class StudyCrossvalParams:
    folds: int = field(metadata=bounded(2, 100))
    models: tuple[Name, ...]


@dataclass(frozen=True)
class L2FitParams:
    model: Name
    factors: tuple[float, ...]
    replicates: int = field(metadata=bounded(1, 100))


@dataclass(frozen=True)
class StudyParams:
    replicates: int = field(metadata=bounded(2, 1000))
    first_seed: int = field(metadata=bounded(0, 2**31 - 1000))
    threads_per_task: int = field(metadata=bounded(1, 1024))
    confidence: float = field(metadata=bounded(0, 1, low_open=True, high_open=True))
    comparisons: tuple[tuple[Name, ...], ...]
    equivalence_margin: float = field(metadata=bounded(0, 0.05, low_open=True))
    power: float = field(metadata=bounded(0, 1, low_open=True, high_open=True))
    max_replicates: int = field(metadata=bounded(2, 1000))
    crossval: StudyCrossvalParams
    l2_fit: L2FitParams

    def seeds(self) -> list[int]:
        """The replicate seeds: first_seed, first_seed + 1, ..."""
        return [self.first_seed + replicate for replicate in range(self.replicates)]


@dataclass(frozen=True)
class Params:
    seed: int = field(metadata=bounded(0, 2**31 - 1))
    num_classes: int = field(metadata=bounded(2, 256))
    image_shape: tuple[int, ...]
    download: DownloadParams
    split: SplitParams
    train: TrainParams
    runtime: RuntimeParams
    models: dict[Name, ModelParams]
    evaluate: EvaluateParams
    study: StudyParams

    def model(self, name: str) -> ModelParams:
        """The declared model `name`, or a ParamsError listing the declared ones."""
        if name not in self.models:
            raise ParamsError(f"unknown model {name!r}; expected one of {', '.join(self.models)}")
        return self.models[name]


def _check_mirrors(download: DownloadParams) -> None:
    for index, mirror in enumerate(download.mirrors):
        problem = url_problem(mirror) if is_url(mirror) else None
        if problem:
            raise ParamsError(
                f"download.mirrors[{index}] = {mirror!r} is not a valid URL: {problem}; "
                "expected http(s)://HOST/PATH or a local folder"
            )


def _check_checksums(download: DownloadParams) -> None:
    if sorted(download.sha256) != sorted(MNIST_FILES):
        raise ParamsError(
            f"download.sha256 must list exactly {', '.join(MNIST_FILES)}; "
            f"got {', '.join(download.sha256)}"
        )
    for name, digest in download.sha256.items():
        if len(digest) != 64 or set(digest) - set("0123456789abcdef"):
            raise ParamsError(f"download.sha256.{name} must be 64 lowercase hex digits")


def _check_models(params: Params, raw: Mapping[str, Any]) -> None:
    """Every architecture, its layers named as params.yaml names them (`raw`, already valid)."""
    if PAIRS_KEY in params.models:
        raise ParamsError(
            f"models.{PAIRS_KEY}: the name is reserved (metrics/evaluate.json keeps the paired "
            "tests under it); choose another"
        )
    for name, model in params.models.items():
        key = f"models.{name}.layers"
        names = list(raw["models"][name]["layers"])
        output = check_architecture(key, model.layers, names, params.image_shape)
        if output != (params.num_classes,):
            raise ParamsError(
                f"{key} ends in shape {output}; the last layer must be a dense "
                f"layer of num_classes = {params.num_classes} units"
            )


def _check_comparisons(params: Params) -> None:
    """The declared family: pairs of declared models, each pair once, no model against itself."""
    comparisons = params.study.comparisons
    if not comparisons:
        raise ParamsError("study.comparisons is empty; declare at least one pair [first, second]")
    seen: set[frozenset[str]] = set()
    for index, pair in enumerate(comparisons):
        key = f"study.comparisons[{index}]"
        if len(pair) != 2:
            raise ParamsError(f"{key} = {list(pair)} must be a pair [first, second]")
        unknown = [name for name in pair if name not in params.models]
        if unknown:
            raise ParamsError(
                f"{key} names unknown model {unknown[0]!r}; expected one of "
                f"{', '.join(params.models)}"
            )
        if pair[0] == pair[1]:
            raise ParamsError(f"{key} = {list(pair)} compares a model with itself")
        if frozenset(pair) in seen:
            raise ParamsError(f"{key} = {list(pair)} is declared twice (in either order)")
        seen.add(frozenset(pair))


def _check_study(params: Params) -> None:
    _check_comparisons(params)
    crossval = params.study.crossval.models
    unknown = [name for name in crossval if name not in params.models]
    if unknown:
        raise ParamsError(
            f"study.crossval.models lists unknown model {unknown[0]!r}; expected one "
            f"of {', '.join(params.models)}"
        )
    if len(crossval) < 2 or len(set(crossval)) != len(crossval):
        raise ParamsError(
            f"study.crossval.models = {list(crossval)} must list at least two models, each once"
        )
    fit = params.study.l2_fit
    model = params.model(fit.model) if fit.model in params.models else None
    if model is None:
        raise ParamsError(
            f"study.l2_fit.model = {fit.model!r} is not declared; expected one of "
            f"{', '.join(params.models)}"
        )
    if sum(isinstance(layer, Conv2D | Dense) and layer.l2 > 0 for layer in model.layers) != 1:
        raise ParamsError(
            f"study.l2_fit.model = {fit.model!r} must have exactly one layer with l2 > 0, "
            "the factor the fit varies"
        )
    if not fit.factors or any(factor <= 0 for factor in fit.factors):
        raise ParamsError(f"study.l2_fit.factors = {list(fit.factors)} must list positive factors")
    if fit.replicates > params.study.replicates:
        # The fit's seeds are the first of the seed study's (pipeline/study.py, l2_fit).
        raise ParamsError(
            f"study.l2_fit.replicates = {fit.replicates} exceeds study.replicates = "
            f"{params.study.replicates}; the fit uses the first seeds of the seed study, so "
            "expected at most that many"
        )


def parse_params(raw: Any) -> Params:
    """Validate a parsed params mapping as a whole: types, ranges and architectures."""
    params: Params = build_dataclass("", raw, Params)
    _check_mirrors(params.download)
    _check_checksums(params.download)
    if len(params.image_shape) != 3 or min(params.image_shape) < 1:
        raise ParamsError(
            f"image_shape = {list(params.image_shape)} must be [height, width, "
            "channels], each at least 1"
        )
    _check_models(params, raw)
    _check_study(params)
    return params
