"""The evaluate step on tiny synthetic MNIST, every model trained one epoch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from mnist_cnn.pipeline import download, evaluate, preprocess, split, train
from tests.helpers import (
    declared_models,
    load_repo_params,
    shrink_params,
    workspace,
)
from tests.mnist_fixtures import write_idx_set
from tests.report_checks import check_report_matches_metrics

# Training five models in-process takes about a minute on a shared 2-core machine.
pytestmark = pytest.mark.slow

MODELS = declared_models()


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace where every step up to evaluate has run on 400 + 100 synthetic digits."""
    root = tmp_path_factory.mktemp("evaluate")
    checksums = write_idx_set(root / "mirror")
    layout, params = workspace(
        root / "workspace", shrink_params(load_repo_params(), root / "mirror", checksums)
    )
    for step in (download, split, preprocess):
        step.run(layout, params)
    for name in MODELS:
        train.run(layout, params, name)
    evaluate.run(layout, params)
    return layout.root


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_every_model_gets_an_interval_loss_gaps_per_class_scores_and_plots(evaluated):
    evaluation = read_json(evaluated / "metrics/evaluate.json")
    assert set(evaluation) == {*MODELS, "pairs"}
    for name in MODELS:
        test = evaluation[name]["test"]
        assert test["images"] == 100 and test["correct"] == round(test["accuracy"] * 100)
        interval = test["accuracy_ci"]
        assert interval["low"] <= test["accuracy"] <= interval["high"]
        assert interval["method"] == "exact binomial (Clopper-Pearson)"
        assert {"train_val", "train_test"} <= set(evaluation[name]["gap"])
        assert sorted(evaluation[name]["per_class"], key=int) == [str(d) for d in range(10)]
        assert sum(row["support"] for row in evaluation[name]["per_class"].values()) == 100
        assert evaluation[name]["overfitting"]["best_val_accuracy_epoch"] == 1
        confusion = (evaluated / f"plots/confusion/{name}.csv").read_text().splitlines()
        assert confusion[0] == "actual,predicted" and len(confusion) == 101
        wrong = sum(
            actual != predicted for actual, predicted in (line.split(",") for line in confusion[1:])
        )
        assert wrong == 100 - test["correct"]
        assert Image.open(evaluated / f"plots/misclassified/{name}.png").format == "PNG"


def test_every_pair_has_mcnemar_counts_consistent_with_the_accuracies(evaluated):
    evaluation = read_json(evaluated / "metrics/evaluate.json")
    assert len(evaluation["pairs"]) == len(MODELS) * (len(MODELS) - 1) // 2
    for key, pair in evaluation["pairs"].items():
        first, second = key.split("_vs_")
        assert key == f"{first}_vs_{second}" and MODELS.index(first) < MODELS.index(second)
        only_first, only_second = pair["only_first_correct"], pair["only_second_correct"]
        # McNemar's b - c is exactly the difference in correct test images.
        assert only_first - only_second == (
            evaluation[first]["test"]["correct"] - evaluation[second]["test"]["correct"]
        )
        assert only_first + only_second + pair["both_correct"] + pair["both_wrong"] == 100
        assert 0 < pair["p_value"] <= 1


def test_report_numbers_equal_the_metrics_files(evaluated):
    report = (evaluated / "report.md").read_text()
    training = {name: read_json(evaluated / f"metrics/train/{name}.json") for name in MODELS}
    check_report_matches_metrics(report, training, read_json(evaluated / "metrics/evaluate.json"))
    assert "exact binomial (Clopper-Pearson)" in report
    assert "[study/report.md](study/report.md)" in report
    smallest = min(MODELS, key=lambda name: training[name]["num_params"])
    assert f"Fewest parameters: {smallest} ({training[smallest]['num_params']:,})" in report
    for name in MODELS:
        assert f"(plots/misclassified/{name}.png)" in report
