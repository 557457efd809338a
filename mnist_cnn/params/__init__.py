"""params.yaml: read strictly, validated once, as frozen dataclasses."""

from mnist_cnn.params.sections import (
    DownloadParams,
    EarlyStoppingParams,
    EvaluateParams,
    L2FitParams,
    ModelParams,
    Params,
    RuntimeParams,
    SplitParams,
    StudyCrossvalParams,
    StudyParams,
    TrainParams,
    parse_params,
)
from mnist_cnn.params.yaml_file import load_params, read_yaml

__all__ = [
    "DownloadParams",
    "EarlyStoppingParams",
    "EvaluateParams",
    "L2FitParams",
    "ModelParams",
    "Params",
    "RuntimeParams",
    "SplitParams",
    "StudyCrossvalParams",
    "StudyParams",
    "TrainParams",
    "load_params",
    "parse_params",
    "read_yaml",
]
