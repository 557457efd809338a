"""What evaluate writes about each model and each pair of models (pure).

Two levels: `headline` is the handful of numbers a person compares between runs, one file per
model that DVC prints as metrics (metrics/models/<model>.json, so `dvc metrics show` has one
row per model); `model_result` and `paired_tests` are the detail in metrics/evaluate.json.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mnist_cnn.evaluation import overfitting, stats
from mnist_cnn.history import History
from mnist_cnn.params import EvaluateParams


def gaps(train: dict[str, Any], test_accuracy: float) -> dict[str, float]:
    """Overfitting gaps: last-epoch training accuracy minus validation and test accuracy."""
    return {
        "train_val": train["train"]["accuracy"] - train["val"]["accuracy"],
        "train_test": train["train"]["accuracy"] - test_accuracy,
    }


def accuracy_with_interval(correct: np.ndarray, confidence: float) -> dict[str, Any]:
    """Accuracy over the test images and its exact binomial interval."""
    hits, images = int(np.sum(correct)), int(correct.size)
    low, high = stats.clopper_pearson(hits, images, confidence)
    return {
        "accuracy": hits / images,
        "correct": hits,
        "images": images,
        "accuracy_ci": {
            "low": low,
            "high": high,
            "level": confidence,
            "method": stats.INTERVAL_METHOD,
        },
    }


def model_result(
    labels: np.ndarray,
    predictions: np.ndarray,
    loss: float,
    training: dict[str, Any],
    history: History,
    settings: EvaluateParams,
    num_classes: int,
) -> dict[str, Any]:
    """Everything `metrics/evaluate.json` says about one model."""
    test = {**accuracy_with_interval(labels == predictions, settings.confidence), "loss": loss}
    gap = gaps(training, test["accuracy"])
    return {
        "test": test,
        "gap": gap,
        "per_class": stats.per_class_scores(labels, predictions, num_classes),
        "overfitting": overfitting.analyse(
            history, gap["train_test"], settings.val_loss_rise_tolerance, settings.gap_tolerance
        ),
    }


def headline(result: dict[str, Any], training: dict[str, Any]) -> dict[str, float | int]:
    """The model's numbers in metrics/models/<model>.json: `low` and `high` bound the
    test accuracy (the exact interval at evaluate.confidence); validation accuracy and epochs
    are the last epoch's, as the notebook printed them; `params` counts the trainable and
    other weights, as Keras does."""
    test = result["test"]
    return {
        "test_accuracy": test["accuracy"],
        "low": test["accuracy_ci"]["low"],
        "high": test["accuracy_ci"]["high"],
        "test_loss": test["loss"],
        "val_accuracy": training["val"]["accuracy"],
        "epochs": training["epochs_run"],
        "params": training["num_params"],
    }


def paired_tests(labels: np.ndarray, predictions: dict[str, np.ndarray]) -> dict[str, Any]:
    """McNemar's exact test for every pair of models on the same test images."""
    return {
        stats.pair_key(first, second): stats.compare_paired(
            labels == predictions[first], labels == predictions[second]
        ).as_metrics()
        for first, second in stats.model_pairs(list(predictions))
    }
