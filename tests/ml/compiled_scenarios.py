"""Trainings on the JAX backend for tests/ml/test_compiled_epoch.py, run in a child process.

The test process imports Keras on TensorFlow, and Keras picks its backend once per process, so
the comparisons run here, under KERAS_BACKEND=jax, and print their measurements as one JSON
object; the test asserts on them. Usage: python -m tests.ml.compiled_scenarios NAME...
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

import numpy as np

from mnist_cnn.params import ModelParams, parse_params
from mnist_cnn.params.validation import build_dataclass
from mnist_cnn.training.compiled_epoch import train_model_compiled
from mnist_cnn.training.loop import Split, Trained, TrainingJob, train_model
from mnist_cnn.training.many_seeds import train_seeds
from mnist_cnn.training.runtime import set_up_runtime
from tests.helpers import load_repo_params
from tests.mnist_fixtures import synthetic_digits

# A network small enough to train for hundreds of steps in seconds, with both L2 penalties.
SMALL_LAYERS = {
    "conv": {"kind": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu", "l2": 0.001},
    "pool": {"kind": "max_pool", "pool_size": 4},
    "flatten": {"kind": "flatten"},
    "output": {"kind": "dense", "units": 10, "activation": "softmax", "l2": 0.0005},
}
# SMALL_LAYERS with dropout before the output layer.
WITH_DROPOUT = {
    **{name: layer for name, layer in SMALL_LAYERS.items() if name != "output"},
    "drop": {"kind": "dropout", "rate": 0.3},
    "output": SMALL_LAYERS["output"],
}
# 250 training images at batch 8: 32 steps an epoch, the last one of 2 images.
TRAIN_IMAGES = 250
BATCH_SIZE = 8


def digits(count: int, seed: int, noisy_labels: float = 0.0) -> Split:
    """Synthetic digits; a share of labels replaced at random makes accuracy fall short of 1."""
    images, labels = synthetic_digits(count, seed)
    rng = np.random.default_rng(seed + 100)
    noisy = rng.random(count) < noisy_labels
    labels = np.where(noisy, rng.integers(0, 10, count), labels)
    return Split(images=images[..., np.newaxis], one_hot=np.eye(10, dtype=np.float32)[labels])


def job(layers: dict[str, dict], epochs: int, early_stopping: dict | None = None) -> TrainingJob:
    params = parse_params(load_repo_params())
    raw = {"epochs": epochs, "early_stopping": early_stopping, "layers": layers}
    settings = dataclasses.replace(params.train, batch_size=BATCH_SIZE, eval_batch_size=40)
    return TrainingJob(
        name="small",
        model=build_dataclass("model", raw, ModelParams),
        settings=settings,
        image_shape=params.image_shape,
        seed=params.seed,
    )


def weight_difference(first: Trained, second: Trained) -> float:
    pairs = zip(first.model.get_weights(), second.model.get_weights(), strict=True)
    return max(float(np.max(np.abs(a - b))) for a, b in pairs)


def largest_weight(trained: Trained) -> float:
    return max(float(np.max(np.abs(weights))) for weights in trained.model.get_weights())


def both_engines(training: TrainingJob, train: Split, val: Split) -> dict[str, Any]:
    set_up_runtime(training.seed, training.settings)
    fitted = train_model(training, train=train, val=val)
    compiled = train_model_compiled(training, train=train, val=val)
    return {
        "steps": len(fitted.history) * -(-len(train.images) // BATCH_SIZE),
        "max_weight_difference": weight_difference(fitted, compiled),
        "largest_weight": largest_weight(fitted),
        "fit_history": fitted.history,
        "compiled_history": compiled.history,
    }


def fit_vs_compiled() -> dict[str, Any]:
    """Dropout off, then on: same weights and histories from both engines after 224 steps."""
    train, val = digits(TRAIN_IMAGES, 1, noisy_labels=0.3), digits(60, 2, noisy_labels=0.3)
    return {
        "no_dropout": both_engines(job(SMALL_LAYERS, epochs=7), train, val),
        "dropout": both_engines(job(WITH_DROPOUT, 7), train, val),
    }


def early_stopping() -> dict[str, Any]:
    """Clean digits: validation accuracy reaches its top early, so both engines stop early."""
    training = job(
        SMALL_LAYERS, epochs=12, early_stopping={"monitor": "val_accuracy", "patience": 2}
    )
    return both_engines(training, digits(TRAIN_IMAGES, 3), digits(60, 4))


def many_vs_one() -> dict[str, Any]:
    """Four seeds together against each alone, with early stopping at different epochs."""
    early = {"monitor": "val_accuracy", "patience": 1}
    training = job(WITH_DROPOUT, 8, early)
    train, val = digits(TRAIN_IMAGES, 5, noisy_labels=0.3), digits(60, 6, noisy_labels=0.3)
    seeds = [11, 12, 13, 14]
    together = train_seeds(training, seeds, train=train, val=val)
    rows = []
    for seed, trained in zip(seeds, together, strict=True):
        alone = train_model_compiled(dataclasses.replace(training, seed=seed), train=train, val=val)
        rows.append(
            {
                "seed": seed,
                "max_weight_difference": weight_difference(trained, alone),
                "together_history": trained.history,
                "alone_history": alone.history,
            }
        )
    return {"seeds": rows}


def dropout_distribution() -> dict[str, Any]:
    """Six seeds with dropout through Keras fit one by one, and through one vmapped program."""
    training = job(WITH_DROPOUT, epochs=4)
    train, val = digits(TRAIN_IMAGES, 7, noisy_labels=0.3), digits(200, 8, noisy_labels=0.3)
    seeds = [21, 22, 23, 24, 25, 26]
    fitted = []
    for seed in seeds:
        alone = dataclasses.replace(training, seed=seed)
        set_up_runtime(seed, alone.settings)
        fitted.append(train_model(alone, train=train, val=val).history[-1]["val_accuracy"])
    together = train_seeds(training, seeds, train=train, val=val)
    return {
        "keras_fit": fitted,
        "compiled_seeds": [trained.history[-1]["val_accuracy"] for trained in together],
    }


SCENARIOS = {
    "fit_vs_compiled": fit_vs_compiled,
    "early_stopping": early_stopping,
    "many_vs_one": many_vs_one,
    "dropout_distribution": dropout_distribution,
}


if __name__ == "__main__":
    print(json.dumps({name: SCENARIOS[name]() for name in sys.argv[1:]}))
