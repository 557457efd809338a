"""The trainings of a study as engine tasks: what each one trains, and the function training it.

A task's spec is JSON in params.yaml's own form (the model's layers as `kind` mappings, the
train section with the study's thread count), so its cache key is a hash of exactly what
decides its result; `train_task` parses it back through the project's one validator. Two
kinds: `holdout` trains on the notebook's split and scores the test images; `fold` trains on
all but one stratified fold of the 60,000 training images and scores that fold.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
from sklearn.model_selection import StratifiedKFold

from mnist_cnn.params import ModelParams, Params, TrainParams
from mnist_cnn.params.validation import build_dataclass
from mnist_cnn.study.engine import Task, task_key
from mnist_cnn.training.loop import Split, TrainingJob, train_model
from mnist_cnn.training.runtime import set_up_runtime


def model_as_raw(model: ModelParams) -> dict[str, Any]:
    """A model's params as params.yaml writes them (layers as `kind` mappings)."""
    return {
        "epochs": model.epochs,
        "early_stopping": (
            None if model.early_stopping is None else dataclasses.asdict(model.early_stopping)
        ),
        "layers": [{"kind": layer.kind, **dataclasses.asdict(layer)} for layer in model.layers],
    }


def software() -> dict[str, str]:
    """The versions computing a result: a new Keras or TensorFlow may round differently."""
    versions = {"keras": keras.__version__, "backend": keras.backend.backend()}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    return versions


def base_spec(params: Params, name: str, model: ModelParams, seed: int) -> dict[str, Any]:
    """What every task of model `name` trained with `seed` shares."""
    settings = dataclasses.replace(params.train, threads=params.study.threads_per_task)
    return {
        "model": name,
        "model_params": model_as_raw(model),
        "train": {
            **dataclasses.asdict(settings),
            "optimizer": {
                "kind": settings.optimizer.kind,
                **dataclasses.asdict(settings.optimizer),
            },
        },
        "image_shape": list(params.image_shape),
        "seed": seed,
        "software": software(),
    }


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
    spec = {
        **base_spec(params, name, model, seed),
        "kind": "holdout",
        "test_batch_size": params.evaluate.batch_size,
    }
    label = f"{name}{f' {variant}' if variant else ''} seed {seed}"
    return Task(label=label, spec=spec, key=task_key(spec, inputs))


def fold_task(params: Params, name: str, fold: int, inputs: Mapping[str, str]) -> Task:
    """Train on every stratified fold but `fold`; score that fold."""
    folds = params.study.crossval.folds
    spec = {
        **base_spec(params, name, params.model(name), params.seed),
        "kind": "fold",
        "fold": {"index": fold, "folds": folds, "split_seed": params.seed},
    }
    return Task(label=f"{name} fold {fold + 1}/{folds}", spec=spec, key=task_key(spec, inputs))


def fold_rows(labels: np.ndarray, folds: int, split_seed: int) -> list[tuple[np.ndarray, ...]]:
    """(training rows, held-out rows) of each stratified fold, shuffled by `split_seed`."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=split_seed)
    return list(splitter.split(np.zeros(len(labels)), labels))


def job_from_spec(spec: Mapping[str, Any], threads: int) -> TrainingJob:
    settings = build_dataclass("spec.train", {**spec["train"], "threads": threads}, TrainParams)
    return TrainingJob(
        name=spec["model"],
        model=build_dataclass("spec.model_params", spec["model_params"], ModelParams),
        settings=settings,
        image_shape=tuple(spec["image_shape"]),
        seed=spec["seed"],
    )


def _split(arrays: Mapping[str, np.ndarray], part: str, rows: Any = slice(None)) -> Split:
    return Split(images=arrays[f"{part}_images"][rows], one_hot=arrays[f"{part}_one_hot"][rows])


def test_scores(model: keras.Model, arrays: Mapping[str, np.ndarray], batch: int) -> dict:
    """Test accuracy as a count of right answers, and test loss as Keras reports it."""
    probabilities = model.predict(arrays["test_images"], batch_size=batch, verbose=0)
    correct = int(np.sum(probabilities.argmax(axis=1) == arrays["test_one_hot"].argmax(axis=1)))
    loss = model.evaluate(
        arrays["test_images"],
        arrays["test_one_hot"],
        batch_size=batch,
        verbose=0,
        return_dict=True,
    )["loss"]
    images = len(arrays["test_images"])
    return {"accuracy": correct / images, "correct": correct, "images": images, "loss": float(loss)}


def train_task(spec: Mapping[str, Any], shared: Mapping[str, Any], threads: int) -> dict:
    """The engine's work function: train what `spec` says on `shared` data; a JSON result."""
    job = job_from_spec(spec, threads)
    set_up_runtime(job.seed, job.settings)
    arrays = shared["arrays"]
    if spec["kind"] == "holdout":
        train, val = _split(arrays, "train"), _split(arrays, "val")
    else:
        fold = spec["fold"]
        labels = arrays["pool_one_hot"].argmax(axis=1)
        rows = fold_rows(labels, fold["folds"], fold["split_seed"])[fold["index"]]
        train, val = _split(arrays, "pool", rows[0]), _split(arrays, "pool", rows[1])
    trained = train_model(
        job, train=train, val=val, steps_per_execution=shared["steps_per_execution"]
    )
    result: dict[str, Any] = {
        "history": trained.history,
        "num_params": trained.model.count_params(),
        "train_images": len(train.images),
        "val_images": len(val.images),
    }
    if spec["kind"] == "holdout":
        result["test"] = test_scores(trained.model, arrays, spec["test_batch_size"])
    keras.backend.clear_session()
    return result
