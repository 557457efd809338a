"""The one place that makes a run repeatable: seeds, op determinism, threads, precision and
the CPU kernels TensorFlow may use."""

from __future__ import annotations

import os
import platform

import keras

from mnist_cnn.errors import ParamsError
from mnist_cnn.kernels import (
    ONEDNN_INSTRUCTION_SET_CAP,
    ONEDNN_SWITCH,
    PORTABLE_INSTRUCTION_SET,
    PORTABLE_ONEDNN_SWITCH,
)
from mnist_cnn.params import TrainParams


def set_up_runtime(seed: int, settings: TrainParams) -> None:
    """Seed Python, NumPy and the backend; fix threads, op determinism and float precision.

    Call before any model of the run is built. TensorFlow takes its thread counts and its
    kernel choice only before its runtime starts, so one process trains with one setting.
    """
    keras.utils.set_random_seed(seed)
    keras.mixed_precision.set_global_policy(settings.precision)
    if keras.backend.backend() != "tensorflow":
        return
    limit_cpu_kernels(settings.cpu_kernels)
    import tensorflow as tf  # only the TensorFlow backend has these switches

    threading = tf.config.threading
    if settings.threads is not None and threading.get_intra_op_parallelism_threads() != (
        settings.threads
    ):
        threading.set_intra_op_parallelism_threads(settings.threads)
        threading.set_inter_op_parallelism_threads(settings.threads)
    if settings.deterministic:
        tf.config.experimental.enable_op_determinism()


def limit_cpu_kernels(cpu_kernels: str) -> None:
    """`portable`: Eigen kernels, oneDNN's products capped at AVX2, on every x86-64 CPU.

    `native`: whatever oneDNN picks for this CPU. TensorFlow chose between the two when it was
    imported (see mnist_cnn/__init__.py), so a run whose choice does not match is refused.
    """
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return
    portable = os.environ.get(ONEDNN_SWITCH) == PORTABLE_ONEDNN_SWITCH
    if cpu_kernels == "portable" and not portable:
        raise ParamsError(
            f"train.cpu_kernels is portable but {ONEDNN_SWITCH}="
            f"{os.environ.get(ONEDNN_SWITCH)} turns on oneDNN's CPU-specific kernels; unset it"
        )
    if cpu_kernels == "native" and portable:
        raise ParamsError(
            f"train.cpu_kernels is native, which needs {ONEDNN_SWITCH}=1 in the environment "
            "before the run starts (TensorFlow reads it when it is imported)"
        )
    if cpu_kernels == "portable":
        os.environ[ONEDNN_INSTRUCTION_SET_CAP] = PORTABLE_INSTRUCTION_SET
