"""Stage `evaluate`: every trained model on the held-out test set, and the notebook's comparison.

Writes `metrics/evaluate.json` (per model: test accuracy and loss, train-val and train-test
gaps) and `report.md`, whose every sentence is generated from those numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np

from stages import artifacts
from stages.errors import DataError, run_cli
from stages.params import load_params
from stages.report import render_report

PREPARED_DIR = Path("data/prepared")
MODELS_DIR = Path("data/models")
TRAIN_METRICS_DIR = Path("metrics/train")
EVALUATE_METRICS = Path("metrics/evaluate.json")
REPORT = Path("report.md")


def gaps(train: dict[str, Any], test_accuracy: float) -> dict[str, float]:
    """Overfitting gaps: last-epoch training accuracy minus validation and test accuracy."""
    return {"train_val": train["train"]["accuracy"] - train["val"]["accuracy"],
            "train_test": train["train"]["accuracy"] - test_accuracy}


def test_scores(model: keras.Model, images: np.ndarray, one_hot: np.ndarray,
                batch_size: int) -> dict[str, float]:
    """Test accuracy and loss as Keras reports them (the loss includes any L2 penalty)."""
    scores = model.evaluate(images, one_hot, batch_size=batch_size, verbose=0, return_dict=True)
    return {"accuracy": float(scores["accuracy"]), "loss": float(scores["loss"])}


def load_model(name: str) -> keras.Model:
    path = MODELS_DIR / f"{name}.keras"
    if not path.is_file():
        raise DataError(f"{path}: file not found; run its training stage (dvc repro train_{name})")
    return keras.saving.load_model(path)


def main() -> None:
    params = load_params()
    test = artifacts.read_npz(PREPARED_DIR / "test.npz", ("images", "one_hot"))
    results: dict[str, dict[str, Any]] = {}
    training: dict[str, dict[str, Any]] = {}
    for name in params.models:
        training[name] = artifacts.read_json(TRAIN_METRICS_DIR / f"{name}.json")
        scores = test_scores(load_model(name), test["images"], test["one_hot"],
                             params.evaluate.batch_size)
        results[name] = {"test": scores, "gap": gaps(training[name], scores["accuracy"])}
    artifacts.write_json(EVALUATE_METRICS, results)
    artifacts.write_text(REPORT, render_report(training, results))


if __name__ == "__main__":
    run_cli(main)
