"""The one place that makes a run repeatable: seeds, op determinism, threads, precision and
the CPU kernels TensorFlow may use."""

from __future__ import annotations

import os
import platform

import keras

from mnist_cnn.params import TrainParams


def set_up_runtime(seed: int, settings: TrainParams) -> None:
    """Seed Python, NumPy and the backend; fix threads, op determinism and float precision.

    Call before any model of the run is built. TensorFlow takes its thread counts and its
    kernel choice only before its runtime starts, so one process trains with one setting.
    """
    limit_cpu_kernels(settings.cpu_kernels)
    keras.utils.set_random_seed(seed)
    keras.mixed_precision.set_global_policy(settings.precision)
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf  # only the TensorFlow backend has these switches

    threading = tf.config.threading
    if settings.threads is not None and threading.get_intra_op_parallelism_threads() != (
        settings.threads
    ):
        threading.set_intra_op_parallelism_threads(settings.threads)
        threading.set_inter_op_parallelism_threads(settings.threads)
    if settings.deterministic:
        tf.config.experimental.enable_op_determinism()


# oneDNN, TensorFlow's CPU kernel library, picks kernels by the CPU's instruction set, and an
# AVX-512 kernel rounds differently from an AVX2 one (the committed metrics of an AVX-512
# machine did not repeat on an AVX2 one). Capped at AVX2, newer CPUs run the AVX2 kernels too.
PORTABLE_INSTRUCTION_SET = "AVX2"


def limit_cpu_kernels(cpu_kernels: str) -> None:
    """`portable`: cap oneDNN at AVX2 on x86-64 (read when its first kernel is made)."""
    if cpu_kernels == "portable" and platform.machine().lower() in ("x86_64", "amd64"):
        os.environ["ONEDNN_MAX_CPU_ISA"] = PORTABLE_INSTRUCTION_SET
