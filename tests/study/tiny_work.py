"""Work functions for the engine's tests: top-level, so Ray workers import them by name.

Each records when it ran in the file named by STUDY_TEST_EVENTS (when set), one line per
event, so a test can see which tasks really ran, in which process and when. The environment
carries the path because the spec is hashed into the task's key and must not change with it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

EVENTS_VARIABLE = "STUDY_TEST_EVENTS"
IMAGE_COUNT = 64


def record_event(name: str, event: str) -> None:
    path = os.environ.get(EVENTS_VARIABLE)
    if path is None:
        return
    line = f"{event} {name} {os.getpid()} {time.time():.6f}\n"
    # One short O_APPEND write per line: lines from parallel workers do not interleave.
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line.encode("utf-8"))
    finally:
        os.close(descriptor)


def read_events(path: str | os.PathLike[str]) -> list[tuple[str, str, int, float]]:
    """(event, task name, process id, time) for every line recorded."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as stream:
        rows = [line.split() for line in stream if line.strip()]
    return [(event, name, int(pid), float(moment)) for event, name, pid, moment in rows]


def scale_value(spec: Mapping[str, Any], shared: Any, threads: int) -> dict[str, Any]:
    """Cheap work: the spec's value times the shared factor, and the threads it was given."""
    record_event(spec["name"], "start")
    if spec.get("fail"):
        raise RuntimeError(f"asked to fail on {spec['name']}")
    result = {"value": spec["value"] * shared["factor"], "threads": threads}
    record_event(spec["name"], "end")
    return result


def import_keras_only(spec: Mapping[str, Any], shared: Any, threads: int) -> dict[str, Any]:
    """A no-op task that pays what every training task pays first: importing Keras."""
    import keras

    return {"keras": keras.__version__}


def tiny_images(seed: int = 0) -> dict[str, Any]:
    """The read-only input every tiny training shares: 64 random 28x28 images, 10 classes."""
    import numpy as np

    generator = np.random.default_rng(seed)
    return {
        "images": generator.random((IMAGE_COUNT, 28, 28, 1), dtype=np.float32),
        "labels": generator.integers(0, 10, IMAGE_COUNT),
    }


def train_tiny_model(spec: Mapping[str, Any], shared: Any, threads: int) -> dict[str, Any]:
    """One epoch of a tiny CNN on the shared images, seeded by the spec; its final loss.

    Keras and TensorFlow are imported here, not at the top, so that the thread counts are
    set before TensorFlow's runtime starts and `scale_value` stays cheap to import.
    """
    record_event(spec["name"], "start")
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(spec["seed"])
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=spec["learning_rate"]),
        loss="sparse_categorical_crossentropy",
    )
    history = model.fit(
        shared["images"], shared["labels"], batch_size=16, epochs=1, shuffle=False, verbose=0
    )
    keras.backend.clear_session()
    record_event(spec["name"], "end")
    return {"final_loss": float(history.history["loss"][-1])}
