"""The study's metrics and report from made-up task results (no training)."""

from __future__ import annotations

import pytest

from mnist_cnn.params import load_params
from mnist_cnn.study import summary
from mnist_cnn.study.readme import results_block
from mnist_cnn.study.report import render_study_report
from tests.helpers import REPO_ROOT


def run(test_accuracy: float, epochs: int = 3, val_accuracy: float = 0.98) -> dict:
    history = [
        {
            "epoch": epoch,
            "accuracy": 0.95 + epoch / 1000,
            "loss": 0.1,
            "val_accuracy": val_accuracy,
            "val_loss": 0.05 + epoch / 100,
        }
        for epoch in range(1, epochs + 1)
    ]
    return {"history": history, "test": {"accuracy": test_accuracy, "loss": 0.03, "images": 10000}}


RUNS = {
    "A": [run(0.985), run(0.987), run(0.986)],
    "B": [run(0.990, epochs=4), run(0.991), run(0.989)],
}
NOTEBOOK = {"B": {"test_accuracy": 0.9915, "epochs_run": 10.0}}


def test_the_seed_metrics_have_the_keys_dvc_diffs_read():
    metrics = summary.seed_study(RUNS, [1, 2, 3], NOTEBOOK, 0.95)
    accuracy = metrics["A"]["test"]["accuracy"]
    assert metrics["A"]["runs"] == 3 and metrics["seeds"] == [1, 2, 3]
    assert accuracy["mean"] == pytest.approx(0.986) and accuracy["sd"] == pytest.approx(0.001)
    assert accuracy["ci_low"] < 0.986 < accuracy["ci_high"]
    assert metrics["B"]["epochs_run"]["max"] == 4
    pair = metrics["pairs"]["A_vs_B"]["test_accuracy"]
    assert pair["difference"] == pytest.approx(-0.004)
    # One pair is a family of one: Holm leaves its p-value as it is.
    assert pair["p_holm"] == pytest.approx(pair["p_value"])
    # 0.9915 lies above every B run (0.989-0.991) but inside the prediction interval.
    verdict = metrics["notebook"]["B"]["test_accuracy"]
    assert verdict == {"value": 0.9915, "within_range": False, "within_prediction_interval": True}
    assert metrics["notebook"]["B"]["epochs_run"]["within_range"] is False


def test_the_notebook_figures_come_from_its_history_and_its_printed_results():
    reference = {"B": [{"epoch": 1, "accuracy": 0.95, "val_accuracy": 0.98, "val_loss": 0.1}]}
    figures = summary.notebook_figures(reference, {"B": {"test_accuracy": 0.9915}})
    assert figures == {
        "B": {
            "train_accuracy": 0.95,
            "val_accuracy": 0.98,
            "epochs_run": 1.0,
            "test_accuracy": 0.9915,
        }
    }


def test_crossval_reports_the_corrected_test_and_labels_the_plain_one_optimistic():
    scores = {"A": [0.985, 0.984, 0.986], "B": [0.989, 0.990, 0.988]}
    metrics = summary.crossval_study(scores, n_test=20000, n_train=40000, confidence=0.95)
    pair = metrics["pairs"]["A_vs_B"]
    assert pair["corrected"]["folds_first_ahead"] == 0
    assert pair["corrected"]["p_value"] > pair["optimistic"]["p_value"]
    assert metrics["A"]["fold_val_accuracy"] == scores["A"]


def test_the_l2_fit_names_the_closest_factor_and_whether_it_is_clearly_better():
    notebook = [
        {"epoch": epoch, "accuracy": 0.96, "val_accuracy": 0.985, "val_loss": 0.15}
        for epoch in (1, 2, 3)
    ]

    def histories(val_loss: float) -> list:
        return [[{**row, "val_loss": val_loss + shift} for row in notebook] for shift in (0, 0.002)]

    metrics = summary.l2_fit_study(
        {0.001: histories(0.10), 0.002: histories(0.14), 0.005: histories(0.25)}, notebook, 0.001
    )
    assert metrics["best_factor"] == 0.002
    assert metrics["best_clearly_better_than_default"] is True
    # Its two seeds sit 0.010 and 0.008 below the notebook's 0.15 at every epoch.
    assert metrics["candidates"]["l2_0_002"]["val_loss"]["rmse_mean"] == pytest.approx(0.009)


def test_the_report_says_the_scope_of_every_comparison():
    seeds = summary.seed_study(RUNS, [1, 2, 3], NOTEBOOK, 0.95)
    crossval = summary.crossval_study(
        {"A": [0.985, 0.984], "B": [0.989, 0.990]}, n_test=30000, n_train=30000, confidence=0.95
    )
    notebook = [{"epoch": 1, "accuracy": 0.96, "val_accuracy": 0.985, "val_loss": 0.15}]
    l2_fit = summary.l2_fit_study({0.001: [notebook]}, notebook, 0.001)
    single = {"A": {"test": {"accuracy": 0.9861}}, "B": {"test": {"accuracy": 0.9899}}}
    params = load_params(REPO_ROOT / "params.yaml")
    report = render_study_report(seeds, crossval, l2_fit, single, params)
    assert "Scope: each architecture with its training recipe, trained 3 times" in report
    assert "scored on the 10,000 test images" in report
    assert "| A | 3 | 0.9860 ± 0.0010 |" in report and "| 0.9861 |" in report
    assert "no difference was detected with these runs, not that there is none" in report
    assert "corrected resampled t-test (Nadeau and Bengio)" in report
    assert "The declared factor, 0.001, is the candidate closest" in report


def test_the_readme_block_gives_each_step_with_scope_interval_and_p_value():
    seeds = summary.seed_study(RUNS, [1, 2, 3], NOTEBOOK, 0.95)
    crossval = summary.crossval_study(
        {"A": [0.985, 0.984], "B": [0.989, 0.990]}, n_test=30000, n_train=30000, confidence=0.95
    )
    training = {"A": {"num_params": 101578}, "B": {"num_params": 68282}}
    one_run = {"accuracy": 0.9861, "accuracy_ci": {"low": 0.984, "high": 0.988}}
    single = {"A": {"test": one_run}, "B": {"test": one_run}}
    block = results_block(training, single, seeds, 0.95, crossval)
    rows = block.splitlines()
    # Means 0.986 and 0.990 over seeds; fold differences -0.004 and -0.006 (mean -0.005).
    seed_row = next(row for row in rows if row.startswith("| A vs B | 3 seeds"))
    assert "| 3 seeds, 10,000 test images | -0.40 pp [" in seed_row and "| Holm p = " in seed_row
    fold_row = next(row for row in rows if row.startswith("| A vs B | 2 folds"))
    assert "| 2 folds, ahead on 0 of 2 | -0.50 pp [" in fold_row and "| plain t p = " in fold_row
    assert "| A | 101,578 | 0.9861 [0.9840, 0.9880] | 0.9860 ± 0.0010 |" in block
    assert max(len(row) for row in rows if not row.startswith("|")) <= 100
