"""params.yaml: read strictly, validated once, as frozen dataclasses."""

from mnist_cnn.params.sections import (
    CrossvalParams,
    DownloadParams,
    EarlyStoppingParams,
    EvaluateParams,
    ModelParams,
    Params,
    RuntimeParams,
    SplitParams,
    TrainParams,
    parse_params,
)
from mnist_cnn.params.yaml_file import load_params, read_yaml

__all__ = [
    "CrossvalParams",
    "DownloadParams",
    "EarlyStoppingParams",
    "EvaluateParams",
    "ModelParams",
    "Params",
    "RuntimeParams",
    "SplitParams",
    "TrainParams",
    "load_params",
    "parse_params",
    "read_yaml",
]
