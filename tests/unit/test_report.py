"""report.md wording and numbers, on metrics made up for the purpose (no training)."""

import numpy as np
import pytest

from mnist_cnn.evaluation import stats
from mnist_cnn.evaluation.report import render_report, small_run_lines
from mnist_cnn.evaluation.results import headline, model_result, paired_tests
from mnist_cnn.evaluation.wording import (
    best_model_sentence,
    p_phrase,
    paired_sentence,
    smallest_model_sentence,
    validation_ranking_sentence,
)
from mnist_cnn.params import load_params
from tests.helpers import REPO_ROOT
from tests.report_checks import check_report_matches_metrics


def discordant(only_first: int, only_second: int) -> dict:
    return {
        "only_first_correct": only_first,
        "only_second_correct": only_second,
        "p_value": stats.mcnemar_exact(only_first, only_second),
    }


def test_a_significant_pair_is_stated_as_a_win_with_its_counts():
    pair = discordant(15, 31)
    assert paired_sentence("B", "B_adj", pair, 0.05) == (
        "B_adj beats B on these test images (this run of each): 31 vs 15 discordant images, "
        "p = 0.026."
    )


def test_a_pair_above_the_significance_level_is_no_significant_difference():
    pair = discordant(12, 20)
    assert paired_sentence("B", "B_gap", pair, 0.05) == (
        "B vs B_gap: no significant difference on these test images (this run of each): 12 vs 20 "
        "discordant images, "
        "p = 0.215."
    )


def made_up_run(seed: int = 3):
    """Metrics for three made-up models, computed by the evaluate step's own pure functions."""
    settings = load_params(REPO_ROOT / "params.yaml").evaluate
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=2000)
    predictions, training, results = {}, {}, {}
    for name, error_rate in (("A", 0.03), ("B", 0.012), ("B_gap", 0.02)):
        predictions[name] = np.where(rng.random(2000) < error_rate, (labels + 1) % 10, labels)
        history = [
            {
                "epoch": epoch,
                "accuracy": 0.95 + epoch / 500,
                "loss": 0.2 / epoch,
                "val_accuracy": 0.97 + (epoch % 4) / 500,
                "val_loss": 0.05 + (epoch - 4) ** 2 / 1000,
            }
            for epoch in range(1, 11)
        ]
        training[name] = {
            "train": {"accuracy": history[-1]["accuracy"], "loss": 0.02},
            "val": {"accuracy": history[-1]["val_accuracy"], "loss": 0.1},
            "epochs_run": 10,
            "num_params": {"A": 101578, "B": 68282, "B_gap": 19130}[name],
        }
        results[name] = model_result(
            labels, predictions[name], 0.05 + error_rate, training[name], history, settings, 10
        )
    results["pairs"] = paired_tests(labels, predictions)
    return training, results, settings


def test_rendered_report_numbers_equal_the_metrics():
    training, results, settings = made_up_run()
    report = render_report(training, results, settings)
    check_report_matches_metrics(report, training, results)
    # The made-up history has its lowest validation loss at epoch 4 and rises after it.
    assert results["B"]["overfitting"]["lowest_val_loss_epoch"] == 4
    assert results["B"]["overfitting"]["val_loss_rose_while_train_loss_fell"] is True
    # Training accuracy 0.97 is below B's test accuracy, so no gap: the signature alone.
    assert results["B"]["gap"]["train_test"] < 0
    assert "- **B**: starts to overfit." in report


def test_best_model_sentence_names_who_it_beats():
    training, results, settings = made_up_run()
    sentence = best_model_sentence(
        {k: v for k, v in results.items() if k != "pairs"}, results["pairs"], settings.significance
    )
    assert sentence.startswith("Highest test accuracy in this run: B (")
    assert "On these test images this network is significantly better than this run's A" in (
        sentence
    )
    assert sentence.endswith("is the seed study's question: study/report.md.")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_report_checks_also_hold_for_other_draws(seed):
    training, results, settings = made_up_run(seed)
    check_report_matches_metrics(render_report(training, results, settings), training, results)


@pytest.mark.parametrize(
    "value, phrase",
    [(0.0259, "p = 0.026"), (3.04e-6, "p = 3.0e-06"), (0.0, "p < 1e-300"), (1.0, "p = 1.000")],
)
def test_p_values_keep_their_size_and_never_read_as_zero(value, phrase):
    assert p_phrase(value) == phrase


def test_a_p_value_that_underflowed_reads_as_an_upper_bound():
    pair = discordant(5144, 206)
    assert pair["p_value"] == 0.0
    assert paired_sentence("A", "B_gap", pair, 0.05) == (
        "A beats B_gap on these test images (this run of each): 5144 vs 206 discordant images, "
        "p < 1e-300."
    )


def test_the_validation_ranking_lists_every_model_best_first():
    training, _, _ = made_up_run()
    sentence = validation_ranking_sentence(training)
    ranked = sorted(training, key=lambda name: -training[name]["val"]["accuracy"])
    assert sentence.startswith("On the validation split (the notebook's basis for choosing): ")
    positions = [sentence.index(f" {name} ") for name in ranked]
    assert positions == sorted(positions)


def test_the_smallest_model_is_set_against_the_best():
    training, results, _ = made_up_run()
    models = {name: result for name, result in results.items() if name != "pairs"}
    assert smallest_model_sentence(training, models).startswith(
        "Fewest parameters: B_gap (19,130), with "
    )
    assert "against B's " in smallest_model_sentence(training, models)


def test_a_small_run_says_so_first_and_a_full_run_says_nothing():
    training, results, settings = made_up_run(0)
    small = render_report(training, results, settings, small_run_lines(3000, 1))
    first_paragraph = small.split("\n\n")[1]
    assert first_paragraph.startswith("**This is a small run**: only the first 3,000 of MNIST's")
    assert "at most 1 epoch per model" in first_paragraph
    assert small_run_lines(None, None) == []
    assert "small run" not in render_report(training, results, settings)


def test_the_headline_file_holds_the_numbers_a_person_compares_and_nothing_else():
    training, results, _ = made_up_run()
    numbers = headline(results["B"], training["B"])
    assert numbers == {
        "test_accuracy": results["B"]["test"]["accuracy"],
        "low": results["B"]["test"]["accuracy_ci"]["low"],
        "high": results["B"]["test"]["accuracy_ci"]["high"],
        "test_loss": results["B"]["test"]["loss"],
        "val_accuracy": training["B"]["val"]["accuracy"],
        "epochs": 10,
        "params": 68282,
    }
    assert numbers["low"] < numbers["test_accuracy"] < numbers["high"]
