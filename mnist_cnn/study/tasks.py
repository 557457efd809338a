"""The trainings of a study as engine tasks: what each one trains, and the function training it.

A task's spec is a `StudyTraining`: the frozen `TrainingJob` the pipeline's training stage
builds (training.loop), plus which images it fits and scores. Its cache key hashes that job as
it is (`identity`: every field, each layer with its kind), the task's inputs and the software
computing it; the code is bound separately (mnist_cnn.study.fingerprint), because a code change
may leave results unchanged. Two kinds: a holdout task trains on the notebook's split and
scores the test images; a fold task trains on all but one stratified fold of the 60,000
training images and scores that fold.
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from sklearn.model_selection import StratifiedKFold

from mnist_cnn.params import ModelParams, Params
from mnist_cnn.scoring import score
from mnist_cnn.study.engine import Task, task_key
from mnist_cnn.study.summary import IMAGES_FIELD
from mnist_cnn.training.engines import trainer
from mnist_cnn.training.loop import Split, TrainingJob
from mnist_cnn.training.runtime import set_up_runtime

# What every stored history row holds (the notebook's four curves and the epoch number).
HISTORY_KEYS = ("accuracy", "epoch", "loss", "val_accuracy", "val_loss")


@dataclass(frozen=True)
class Fold:
    """Train on every stratified fold of the pooled training images but `index`; score it."""

    index: int
    folds: int
    split_seed: int


@dataclass(frozen=True)
class StudyTraining:
    """One study training: the pipeline's job, and either a fold or (None) the notebook's
    split scored on the test images in batches of `test_batch_size`."""

    job: TrainingJob
    fold: Fold | None
    test_batch_size: int


def identity(value: Any) -> Any:
    """`value` as JSON data, field by field; a layer spec carries its kind (two kinds may have
    the same fields, or none)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            field.name: identity(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
        kind = getattr(type(value), "kind", None)
        return {"kind": kind, **fields} if isinstance(kind, str) else fields
    if isinstance(value, list | tuple):
        return [identity(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): identity(item) for key, item in value.items()}
    return value


def software() -> dict[str, str]:
    """The versions computing a result: a new Keras, TensorFlow or JAX may round differently."""
    versions = {"keras": keras.__version__, "backend": keras.backend.backend()}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    if keras.backend.backend() == "jax":
        import jax

        versions["jax"] = jax.__version__
    return versions


def study_job(params: Params, name: str, model: ModelParams, seed: int) -> TrainingJob:
    """The pipeline's job for `name` with `model` and `seed`, on the study's thread count."""
    job = TrainingJob.declared(params, name, seed)
    settings = dataclasses.replace(params.train, threads=params.study.threads_per_task)
    return dataclasses.replace(job, model=model, settings=settings)


def make_task(label: str, spec: StudyTraining, inputs: Mapping[str, str]) -> Task:
    key = task_key({"training": identity(spec), "software": software()}, inputs)
    return Task(label=label, spec=spec, key=key, group=spec.job.name)


def holdout_task(
    params: Params,
    name: str,
    seed: int,
    inputs: Mapping[str, str],
    model: ModelParams,
    variant: str = "",
) -> Task:
    """Train `model` (declared as `name`, or a `variant` of it) on the notebook's split with
    `seed`; score the test images."""
    job = study_job(params, name, model, seed)
    spec = StudyTraining(job=job, fold=None, test_batch_size=params.evaluate.batch_size)
    return make_task(f"{name}{f' {variant}' if variant else ''} seed {seed}", spec, inputs)


def fold_task(params: Params, name: str, fold: int, inputs: Mapping[str, str]) -> Task:
    """Train on every stratified fold but `fold`; score that fold."""
    folds = params.study.crossval.folds
    job = study_job(params, name, params.model(name), params.seed)
    spec = StudyTraining(
        job=job,
        fold=Fold(index=fold, folds=folds, split_seed=params.seed),
        test_batch_size=params.evaluate.batch_size,
    )
    return make_task(f"{name} fold {fold + 1}/{folds}", spec, inputs)


def fold_rows(labels: np.ndarray, folds: int, split_seed: int) -> list[tuple[np.ndarray, ...]]:
    """(training rows, held-out rows) of each stratified fold, shuffled by `split_seed`."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=split_seed)
    return list(splitter.split(np.zeros(len(labels)), labels))


def split_part(arrays: Mapping[str, np.ndarray], part: str, rows: Any = slice(None)) -> Split:
    return Split(images=arrays[f"{part}_images"][rows], one_hot=arrays[f"{part}_one_hot"][rows])


def test_scores(model: keras.Model, arrays: Mapping[str, np.ndarray], batch: int) -> dict:
    """Test accuracy as a count of right answers, test loss (mnist_cnn.scoring), and which
    images it got right: the study's intervals need them to cover the draw of the test images."""
    scores = score(model, arrays["test_images"], arrays["test_one_hot"], batch)
    right = scores.predicted == arrays["test_one_hot"].argmax(axis=1)
    correct = int(right.sum())
    images = len(arrays["test_images"])
    return {
        "accuracy": correct / images,
        "correct": correct,
        "images": images,
        "loss": scores.loss,
        IMAGES_FIELD: "".join("1" if hit else "0" for hit in right),
    }


def ran_on() -> dict[str, Any]:
    """The machine and software a training ran on: recorded beside its result, not in it."""
    return {
        "machine": platform.machine(),
        "system": platform.system(),
        "python": platform.python_version(),
        "cpus": os.cpu_count() or 0,
        "devices": sorted(_devices()),
        **software(),
    }


def _devices() -> list[Any]:
    if keras.backend.backend() == "jax":
        import jax

        return [device.platform.upper() for device in jax.devices()]
    import tensorflow as tf

    # Physical devices: listing logical ones would start the runtime before the thread count is set.
    return [device.device_type for device in tf.config.list_physical_devices()]


def train_task(spec: StudyTraining, shared: Mapping[str, Any], threads: int) -> dict:
    """The engine's work function: train what `spec` says on `shared` data; a JSON result."""
    job = dataclasses.replace(
        spec.job, settings=dataclasses.replace(spec.job.settings, threads=threads)
    )
    set_up_runtime(job.seed, job.settings)
    arrays = shared["arrays"]
    if spec.fold is None:
        train, val = split_part(arrays, "train"), split_part(arrays, "val")
    else:
        labels = arrays["pool_one_hot"].argmax(axis=1)
        rows = fold_rows(labels, spec.fold.folds, spec.fold.split_seed)[spec.fold.index]
        train, val = split_part(arrays, "pool", rows[0]), split_part(arrays, "pool", rows[1])
    # The engine the job declares (train.engine): the study trains as the pipeline does.
    trained = trainer(job.settings.engine)(
        job, train=train, val=val, steps_per_execution=shared["steps_per_execution"]
    )
    result = trained_result(trained.model, trained.history, train, val)
    if spec.fold is None:
        result["test"] = test_scores(trained.model, arrays, spec.test_batch_size)
    result["ran_on"] = ran_on()
    keras.backend.clear_session()
    return result


def trained_result(
    model: keras.Model, history: list[dict[str, Any]], train: Split, val: Split
) -> dict[str, Any]:
    """What a study record keeps of one training, before its test scores."""
    return {
        "history": history,
        "epochs_run": len(history),
        "num_params": model.count_params(),
        "train_images": len(train.images),
        "val_images": len(val.images),
    }


def result_problem(result: Mapping[str, Any]) -> str | None:
    """Why a stored training result is not one `train_task` could have returned, or None."""
    history = result.get("history")
    if not isinstance(history, list) or not history:
        return "its history is missing or empty"
    for number, row in enumerate(history, start=1):
        if not isinstance(row, dict) or not set(HISTORY_KEYS) <= set(row):
            return f"history row {number} does not hold {', '.join(HISTORY_KEYS)}"
        if not all(_is_number(row[key]) for key in HISTORY_KEYS) or row["epoch"] != number:
            return f"history row {number} has a non-number or is numbered {row['epoch']!r}"
    if result.get("epochs_run") != len(history):
        return f"epochs_run {result.get('epochs_run')!r} but {len(history)} history rows"
    for key in ("num_params", "train_images", "val_images"):
        if not isinstance(result.get(key), int) or isinstance(result.get(key), bool):
            return f"{key} is missing or not a whole number"
    if "test" in result:
        return _test_problem(result["test"])
    return None


def _test_problem(test: Any) -> str | None:
    numbers = ["accuracy", "correct", "images", "loss"]
    if not isinstance(test, dict) or sorted(set(test) - {IMAGES_FIELD}) != numbers:
        return "test does not hold exactly accuracy, correct, images and loss"
    if not all(_is_number(test[key]) for key in numbers):
        return "test holds a value that is not a number"
    if not (isinstance(test["correct"], int) and isinstance(test["images"], int)):
        return "test correct and images are not whole numbers"
    if not 0 <= test["correct"] <= test["images"] > 0:
        return f"test correct {test['correct']} of {test['images']} images"
    if test["accuracy"] != test["correct"] / test["images"]:
        return (
            f"test accuracy {test['accuracy']} is not correct/images "
            f"= {test['correct']}/{test['images']}"
        )
    return _images_problem(test)


def _images_problem(test: Mapping[str, Any]) -> str | None:
    """Why the optional per-image record disagrees with the counts, or None. Records from
    before it existed lack it; their intervals are then conditional on the test images."""
    if IMAGES_FIELD not in test:
        return None
    by_image = test[IMAGES_FIELD]
    if not isinstance(by_image, str) or len(by_image) != test["images"]:
        return f"test {IMAGES_FIELD} is not a string of {test['images']} characters"
    if set(by_image) - {"0", "1"}:
        return f"test {IMAGES_FIELD} holds characters other than 0 and 1"
    if by_image.count("1") != test["correct"]:
        return (
            f"test {IMAGES_FIELD} has {by_image.count('1')} images right, "
            f"but correct is {test['correct']}"
        )
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
