"""report.md from the metrics alone: no sentence in it is written by hand.

Every number comes from `metrics/train/*.json` or `metrics/evaluate.json`, worded by
mnist_cnn.evaluation.wording; the tests read them back.
No model is named here: the sections cover whatever params.yaml declares.
"""

from __future__ import annotations

from typing import Any

from mnist_cnn.evaluation import overfitting
from mnist_cnn.evaluation.stats import model_pairs, pair_key
from mnist_cnn.evaluation.wording import (
    best_model_sentence,
    paired_sentence,
    points,
    smallest_model_sentence,
    validation_ranking_sentence,
)
from mnist_cnn.params import EvaluateParams
from mnist_cnn.params.sections import PAIRS_KEY

Metrics = dict[str, Any]


def comparison_table(
    training: dict[str, Metrics], models: dict[str, Metrics], confidence: float
) -> list[str]:
    lines = [
        f"| model | params | epochs | train acc | val acc | test acc [{confidence:.0%} CI] "
        "| test loss "
        "| train-val gap | train-test gap |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in models.items():
        train, test = training[name], result["test"]
        interval = test["accuracy_ci"]
        lines.append(
            f"| {name} | {train['num_params']:,} | {train['epochs_run']} "
            f"| {train['train']['accuracy']:.4f} | {train['val']['accuracy']:.4f} "
            f"| {test['accuracy']:.4f} [{interval['low']:.4f}, {interval['high']:.4f}] "
            f"| {test['loss']:.4f} | {points(result['gap']['train_val'])} "
            f"| {points(result['gap']['train_test'])} |"
        )
    return lines


def paired_section(
    models: dict[str, Metrics], pairs: dict[str, Metrics], significance: float
) -> list[str]:
    lines = [
        "## Paired tests on the test images",
        "",
        "McNemar's exact test counts the test images exactly one of two models gets right "
        f"(the discordant images); a difference is called significant when p < "
        f"{significance}. Its scope is this run's two networks on these test images: another "
        "seed trains other networks, so whether the recipes differ is the seed study's "
        "question (study/report.md).",
        "",
    ]
    for first, second in model_pairs(list(models)):
        pair = pairs[pair_key(first, second)]
        lines.append(f"- {paired_sentence(first, second, pair, significance)}")
    return [*lines, ""]


def overfitting_line(name: str, result: Metrics, epochs_run: int) -> str:
    analysis, gap = result["overfitting"], result["gap"]
    rise = analysis["val_loss_rise"] / analysis["lowest_val_loss"]
    return (
        f"- **{name}**: {analysis['verdict']}. Train-val gap {points(gap['train_val'])}, "
        f"train-test gap {points(gap['train_test'])}; best validation accuracy "
        f"{analysis['best_val_accuracy']:.4f} at epoch {analysis['best_val_accuracy_epoch']} "
        f"of {epochs_run}; validation loss lowest {analysis['lowest_val_loss']:.4f} at epoch "
        f"{analysis['lowest_val_loss_epoch']}, then {analysis['val_loss_rise']:+.4f} "
        f"({rise:+.1%}) by the last epoch while training loss changed by "
        f"{analysis['train_loss_change']:+.4f}."
    )


def overfitting_section(
    training: dict[str, Metrics], models: dict[str, Metrics], settings: EvaluateParams
) -> list[str]:
    rule = overfitting.RULE.format(
        rise=settings.val_loss_rise_tolerance, gap=100 * settings.gap_tolerance
    )
    lines = ["## Overfitting", "", f"The rule: {rule}", ""]
    lines += [
        overfitting_line(name, result, training[name]["epochs_run"])
        for name, result in models.items()
    ]
    if any(result["gap"]["train_val"] < 0 for result in models.values()):
        lines += [
            "",
            "A negative gap means training accuracy came out lower than validation or test "
            "accuracy. Likely reasons, not tested here: Keras averages training accuracy over "
            "the epoch while the weights still improve, and measures it with any dropout "
            "active.",
        ]
    return [*lines, ""]


def study_section() -> list[str]:
    """Where the answers that hold beyond this one run are, and why they are elsewhere."""
    return [
        "## Across seeds and folds",
        "",
        "Every comparison above is of these trained networks on these 10,000 test images: "
        "one run per model. Whether an architecture with its training recipe beats another "
        "across seeds and across folds is the study's question, answered in "
        "[study/report.md](study/report.md) (`dvc repro study/dvc.yaml`, its own pipeline, so "
        "that `dvc repro` of this one never starts an hour of training).",
        "",
    ]


def plots_section(names: list[str]) -> list[str]:
    lines = ["## Plots", "", "`dvc plots show` draws them all; the files:", ""]
    for name in names:
        lines.append(
            f"- {name}: [training history](plots/history/{name}.csv), "
            f"[confusion data](plots/confusion/{name}.csv), "
            f"[misclassified digits](plots/misclassified/{name}.png)"
        )
    lines.append("")
    lines += [
        f"![{name}: misclassified test digits](plots/misclassified/{name}.png)" for name in names
    ]
    return [*lines, ""]


def per_class_table(models: dict[str, Metrics]) -> list[str]:
    digits = list(next(iter(models.values()))["per_class"])
    lines = [
        "## Per-digit F1 on the test set",
        "",
        "Precision, recall and support per digit are in `metrics/evaluate.json`.",
        "",
        f"| model | {' | '.join(digits)} |",
        f"|---|{'---:|' * len(digits)}",
    ]
    for name, result in models.items():
        scores = [f"{result['per_class'][digit]['f1']:.3f}" for digit in digits]
        lines.append(f"| {name} | {' | '.join(scores)} |")
    return [*lines, ""]


def headline(
    training: dict[str, Metrics],
    models: dict[str, Metrics],
    pairs: dict[str, Metrics],
    confidence: float,
    significance: float,
) -> list[str]:
    test_images = next(iter(models.values()))["test"]["images"]
    lines = [
        f"Test accuracy intervals are {confidence:.0%} exact binomial (Clopper-Pearson) "
        f"intervals over the {test_images:,} test images.",
        "",
    ]
    return [
        *lines,
        validation_ranking_sentence(training),
        "",
        best_model_sentence(models, pairs, significance),
        "",
        smallest_model_sentence(training, models),
        "",
    ]


def small_run_lines(image_limit: int | None, epoch_cap: int | None) -> list[str]:
    """A warning at the top of the report of a run on less than the notebook's data or epochs."""
    cuts = []
    if image_limit is not None:
        cuts.append(f"only the first {image_limit:,} of MNIST's 60,000 training images")
    if epoch_cap is not None:
        cuts.append(f"at most {epoch_cap} epoch{'s' if epoch_cap != 1 else ''} per model")
    if not cuts:
        return []
    return [
        f"**This is a small run**: {' and '.join(cuts)} (`split.limit`, `train.epoch_cap`). "
        "Its numbers show that the pipeline works, not what the notebook's models achieve.",
        "",
    ]


def render_report(
    training: dict[str, Metrics],
    results: Metrics,
    settings: EvaluateParams,
    small_run: list[str] | None = None,
) -> str:
    """report.md; `small_run` (from `small_run_lines`) goes first when the run was cut down."""
    models = {name: result for name, result in results.items() if name != PAIRS_KEY}
    lines = [
        "# Results",
        "",
        *(small_run or []),
        "Generated by `dvc repro evaluate` from `metrics/train/*.json` and "
        "`metrics/evaluate.json`.",
        "",
        *comparison_table(training, models, settings.confidence),
        "",
        *headline(training, models, results[PAIRS_KEY], settings.confidence, settings.significance),
        *paired_section(models, results[PAIRS_KEY], settings.significance),
        *per_class_table(models),
        *overfitting_section(training, models, settings),
        *study_section(),
        *plots_section(list(models)),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
