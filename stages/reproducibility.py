"""The one place that makes a run repeatable: seeds, op determinism, thread counts."""

from __future__ import annotations

import keras


def set_up_determinism(seed: int, deterministic: bool, threads: int | None) -> None:
    """Seed Python, NumPy and the backend; on TensorFlow, optionally force deterministic ops.

    Call first in every stage that shuffles or trains, before any model is built.
    """
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf  # only the TensorFlow backend has these switches

    if threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
