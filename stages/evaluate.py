"""Stage `evaluate`: every trained model on the held-out test set, with the evidence behind it.

Writes `metrics/evaluate.json` (per model: test accuracy with its exact binomial interval,
test loss, overfitting gaps and analysis, per-class scores; per pair of models: McNemar's exact
test), one confusion-data CSV and one misclassified-digits PNG per model, and `report.md`,
whose every sentence is generated from those numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np

from stages import artifacts, figures, overfitting, stats
from stages.errors import DataError, run_cli
from stages.params import EvaluateParams, load_params
from stages.report import render_report

PREPARED_DIR = Path("data/prepared")
MODELS_DIR = Path("data/models")
TRAIN_METRICS_DIR = Path("metrics/train")
HISTORY_DIR = Path("plots/history")
CONFUSION_DIR = Path("plots/confusion")
MISCLASSIFIED_DIR = Path("plots/misclassified")
CROSSVAL_METRICS = Path("metrics/crossval.json")
EVALUATE_METRICS = Path("metrics/evaluate.json")
REPORT = Path("report.md")
PAIRS_KEY = "pairs"


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


def predict_labels(model: keras.Model, images: np.ndarray, batch_size: int) -> np.ndarray:
    probabilities = model.predict(images, batch_size=batch_size, verbose=0)
    return np.argmax(probabilities, axis=1).astype(np.uint8)


def test_loss(
    model: keras.Model, images: np.ndarray, one_hot: np.ndarray, batch_size: int
) -> float:
    """Test loss as Keras reports it (it includes any L2 penalty, like the training loss)."""
    scores = model.evaluate(images, one_hot, batch_size=batch_size, verbose=0, return_dict=True)
    return float(scores["loss"])


def model_result(
    labels: np.ndarray,
    predictions: np.ndarray,
    loss: float,
    training: dict[str, Any],
    history: list[dict[str, float]],
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


def paired_tests(labels: np.ndarray, predictions: dict[str, np.ndarray]) -> dict[str, Any]:
    """McNemar's exact test for every pair of models on the same test images."""
    return {
        stats.pair_key(first, second): stats.compare_paired(
            labels == predictions[first], labels == predictions[second]
        ).as_metrics()
        for first, second in stats.model_pairs(list(predictions))
    }


def load_model(name: str) -> keras.Model:
    path = MODELS_DIR / f"{name}.keras"
    if not path.is_file():
        raise DataError(f"{path}: file not found; run its training stage (dvc repro train_{name})")
    return keras.saving.load_model(path)


def load_history(name: str) -> list[dict[str, float]]:
    path = HISTORY_DIR / f"{name}.csv"
    if not path.is_file():
        raise DataError(f"{path}: file not found; run its training stage (dvc repro train_{name})")
    return overfitting.parse_history(path.read_text(encoding="utf-8"), str(path))


def load_crossval() -> dict[str, Any] | None:
    """The cross-validation summary when that stage ran with crossval.enabled, else None."""
    if not CROSSVAL_METRICS.is_file():
        return None
    summary = artifacts.read_json(CROSSVAL_METRICS)
    return summary if summary.get("enabled") else None


def main() -> None:
    params = load_params()
    if PAIRS_KEY in params.models:
        raise DataError(
            f"a model may not be named {PAIRS_KEY!r}: metrics/evaluate.json uses "
            "that key for the paired tests"
        )
    test = artifacts.read_npz(PREPARED_DIR / "test.npz", ("images", "labels", "one_hot"))
    training: dict[str, dict[str, Any]] = {}
    results: dict[str, Any] = {}
    predictions: dict[str, np.ndarray] = {}
    outputs: dict[Path, bytes] = {}
    for name in params.models:
        training[name] = artifacts.read_json(TRAIN_METRICS_DIR / f"{name}.json")
        model = load_model(name)
        predictions[name] = predict_labels(model, test["images"], params.evaluate.batch_size)
        loss = test_loss(model, test["images"], test["one_hot"], params.evaluate.batch_size)
        results[name] = model_result(
            test["labels"],
            predictions[name],
            loss,
            training[name],
            load_history(name),
            params.evaluate,
            params.num_classes,
        )
        outputs[CONFUSION_DIR / f"{name}.csv"] = figures.confusion_csv(
            test["labels"], predictions[name]
        ).encode("utf-8")
        outputs[MISCLASSIFIED_DIR / f"{name}.png"] = figures.misclassified_grid(
            test["images"],
            test["labels"],
            predictions[name],
            params.evaluate.misclassified_images,
            name,
        )
    results[PAIRS_KEY] = paired_tests(test["labels"], predictions)
    report = render_report(training, results, load_crossval(), params.evaluate)
    # The plots, metrics and report describe one evaluation: they appear together or not at all.
    with artifacts.all_or_nothing(*outputs, EVALUATE_METRICS, REPORT):
        for path, data in outputs.items():
            artifacts.write_bytes(path, data)
        artifacts.write_json(EVALUATE_METRICS, results)
        artifacts.write_text(REPORT, report)


if __name__ == "__main__":
    run_cli(main)
