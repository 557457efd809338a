"""Stage `evaluate`: every trained model on the held-out test set, with the evidence behind it.

Writes `metrics/models/<model>.json` (the headline numbers DVC prints as metrics),
`metrics/evaluate.json` (per model: test accuracy with its exact binomial interval,
test loss, overfitting gaps and analysis, per-class scores; per pair of models: McNemar's exact
test), one confusion-data CSV and one misclassified-digits PNG per model, and `report.md`,
whose every sentence is generated from those numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mnist_cnn import files, history
from mnist_cnn.evaluation import figures
from mnist_cnn.evaluation.report import render_report, small_run_lines
from mnist_cnn.evaluation.results import headline, model_result, paired_tests
from mnist_cnn.layout import Layout
from mnist_cnn.models import load_model_file
from mnist_cnn.params import Params
from mnist_cnn.params.sections import PAIRS_KEY
from mnist_cnn.scoring import score


def run(layout: Layout, params: Params) -> None:
    test = files.read_npz(layout.prepared_part("test"), ("images", "labels", "one_hot"))
    settings = params.evaluate
    training: dict[str, dict[str, Any]] = {}
    results: dict[str, Any] = {}
    predictions: dict[str, np.ndarray] = {}
    outputs: dict[Path, bytes] = {}
    for name in params.models:
        training[name] = files.read_json(layout.train_metrics(name))
        model = load_model_file(layout.model_file(name))
        scores = score(model, test["images"], test["one_hot"], settings.batch_size)
        predictions[name] = scores.predicted
        results[name] = model_result(
            test["labels"],
            predictions[name],
            scores.loss,
            training[name],
            history.read(layout.history(name)),
            settings,
            params.num_classes,
        )
        outputs[layout.headline(name)] = files.json_bytes(headline(results[name], training[name]))
        outputs[layout.confusion(name)] = figures.confusion_csv(
            test["labels"], predictions[name]
        ).encode("utf-8")
        outputs[layout.misclassified(name)] = figures.misclassified_grid(
            test["images"], test["labels"], predictions[name], settings.misclassified_images, name
        )
    results[PAIRS_KEY] = paired_tests(test["labels"], predictions)
    small_run = small_run_lines(params.split.limit, params.train.epoch_cap)
    report = render_report(training, results, settings, small_run)
    # The plots, metrics and report describe one evaluation: they appear together or not at all.
    with files.all_or_nothing(*outputs, layout.evaluate_metrics, layout.report):
        for path, data in outputs.items():
            files.write_bytes(path, data)
        files.write_json(layout.evaluate_metrics, results)
        files.write_text(layout.report, report)
