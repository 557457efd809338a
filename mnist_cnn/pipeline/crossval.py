"""Stage `crossval`: is B better than A on k splits, not one? Stratified k-fold over the
training images (the train and validation parts of the split together), as the notebook
suggested but never did.

Off by default (`crossval.enabled: false`): the stage then only writes a note that it was
skipped, in seconds. Each fold trains every model in `crossval.models` with the training
stage's own build, compile and epoch loop, and keeps its last-epoch validation accuracy.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from sklearn.model_selection import StratifiedKFold

from mnist_cnn import files
from mnist_cnn.errors import DataError
from mnist_cnn.evaluation import stats
from mnist_cnn.layout import Layout
from mnist_cnn.params import CrossvalParams, Params
from mnist_cnn.training.loop import Split, TrainingJob, train_model
from mnist_cnn.training.runtime import set_up_runtime

FoldCallback = Callable[[str, int, float], None]


def skipped_summary(settings: CrossvalParams) -> dict[str, Any]:
    return {"enabled": False, "folds": settings.folds, "note": "skipped: crossval.enabled is false"}


def fold_indices(labels: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows, validation rows) of each stratified fold, shuffled by `seed`."""
    digits, counts = np.unique(labels, return_counts=True)
    if counts.min() < folds:
        raise DataError(
            f"crossval.folds = {folds} exceeds the {counts.min()} training images "
            f"of digit {digits[np.argmin(counts)]}; lower crossval.folds or raise "
            "split.limit"
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), labels))


def train_fold(name: str, params: Params, train: Split, val: Split) -> float:
    """Train a fresh `name` on one fold; its last-epoch validation accuracy."""
    job = TrainingJob.declared(params, name).with_epochs(params.crossval.epochs)
    trained = train_model(
        job, train=train, val=val, steps_per_execution=params.runtime.steps_per_execution
    )
    keras.backend.clear_session()
    return trained.history[-1]["val_accuracy"]


def cross_validate(
    images: np.ndarray, one_hot: np.ndarray, params: Params, on_fold: FoldCallback
) -> dict[str, list[float]]:
    """Validation accuracy of every listed model in every fold; the same folds for all."""
    labels = np.argmax(one_hot, axis=1)
    accuracies: dict[str, list[float]] = {name: [] for name in params.crossval.models}
    for fold, (train_rows, val_rows) in enumerate(
        fold_indices(labels, params.crossval.folds, params.seed), start=1
    ):
        train = Split(images=images[train_rows], one_hot=one_hot[train_rows])
        val = Split(images=images[val_rows], one_hot=one_hot[val_rows])
        for name in params.crossval.models:
            accuracies[name].append(train_fold(name, params, train, val))
            on_fold(name, fold, accuracies[name][-1])
    return accuracies


def summarise(
    accuracies: dict[str, list[float]], settings: CrossvalParams, images: int
) -> dict[str, Any]:
    """Spread of validation accuracy per model and a paired t-test per pair of models."""
    models = {
        name: {
            "val_accuracy": stats.spread(values),
            "fold_val_accuracy": {str(fold): value for fold, value in enumerate(values, start=1)},
        }
        for name, values in accuracies.items()
    }
    pairs = {
        stats.pair_key(first, second): stats.paired_t_test(accuracies[first], accuracies[second])
        for first, second in stats.model_pairs(list(accuracies))
    }
    return {
        "enabled": True,
        "folds": settings.folds,
        "epochs": settings.epochs,
        "images": images,
        "models": models,
        "pairs": pairs,
    }


def training_images(layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """The train and validation parts together: all (or split.limit) training images."""
    parts = [
        files.read_npz(layout.prepared_part(part), ("images", "one_hot", "source_index"))
        for part in ("train", "val")
    ]
    order = np.argsort(np.concatenate([part["source_index"] for part in parts]), kind="stable")
    images = np.concatenate([part["images"] for part in parts])[order]
    one_hot = np.concatenate([part["one_hot"] for part in parts])[order]
    return images, one_hot


def report_fold(name: str, fold: int, accuracy: float) -> None:
    print(f"crossval {name} fold {fold}: val_accuracy {accuracy:.4f}", file=sys.stderr)


def run(layout: Layout, params: Params) -> None:
    if not params.crossval.enabled:
        files.write_json(layout.crossval_metrics, skipped_summary(params.crossval))
        return
    set_up_runtime(params.seed, params.train)
    images, one_hot = training_images(layout)
    accuracies = cross_validate(images, one_hot, params, report_fold)
    files.write_json(layout.crossval_metrics, summarise(accuracies, params.crossval, len(images)))
