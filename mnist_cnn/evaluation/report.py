"""report.md from the metrics alone: no sentence in it is written by hand.

Every number comes from `metrics/train/*.json`, `metrics/evaluate.json` or
`metrics/crossval.json`, worded by mnist_cnn.evaluation.wording; the tests read them back.
No model is named here: the sections cover whatever params.yaml declares.
"""

from __future__ import annotations

from typing import Any

from mnist_cnn.evaluation import overfitting
from mnist_cnn.evaluation.stats import model_pairs, pair_key
from mnist_cnn.evaluation.wording import (
    best_model_sentence,
    p_phrase,
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
        f"{significance}.",
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
            "A negative gap means training accuracy was measured under harder "
            "conditions than validation and test accuracy: Keras averages it over the "
            "epoch while the weights still improve, and with any dropout active.",
        ]
    return [*lines, ""]


def crossval_section(crossval: Metrics | None, significance: float) -> list[str]:
    lines = ["## Cross-validation", ""]
    if crossval is None:
        return [
            *lines,
            "Not run (crossval.enabled is false). Run it with "
            "`dvc exp run -S crossval.enabled=true`.",
            "",
        ]
    lines += [
        f"Stratified {crossval['folds']}-fold cross-validation over "
        f"{crossval['images']:,} training images, {crossval['epochs']} "
        f"epoch{'s' if crossval['epochs'] != 1 else ''} per fold; "
        "validation accuracy of the last epoch per fold (std with ddof = 1).",
        "",
        "| model | mean | std | min | max |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, summary in crossval["models"].items():
        accuracy = summary["val_accuracy"]
        lines.append(
            f"| {name} | {accuracy['mean']:.4f} | {accuracy['std']:.4f} "
            f"| {accuracy['min']:.4f} | {accuracy['max']:.4f} |"
        )
    lines.append("")
    for first, second in model_pairs(list(crossval["models"])):
        pair = crossval["pairs"][pair_key(first, second)]
        better = first if pair["mean_difference"] > 0 else second
        outcome = (
            f"{better} is better" if pair["p_value"] < significance else "no significant difference"
        )
        lines.append(
            f"- {first} vs {second} over {crossval['folds']} folds (paired t-test): "
            f"{outcome}; mean difference ({first} minus {second}) "
            f"{points(pair['mean_difference'])}, "
            f"{p_phrase(pair['p_value'])}."
        )
    return [*lines, ""]


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


def render_report(
    training: dict[str, Metrics],
    results: Metrics,
    crossval: Metrics | None,
    settings: EvaluateParams,
) -> str:
    models = {name: result for name, result in results.items() if name != PAIRS_KEY}
    lines = [
        "# Results",
        "",
        "Generated by `dvc repro evaluate` from `metrics/train/*.json`, "
        "`metrics/evaluate.json` and `metrics/crossval.json`.",
        "",
        *comparison_table(training, models, settings.confidence),
        "",
        *headline(training, models, results[PAIRS_KEY], settings.confidence, settings.significance),
        *paired_section(models, results[PAIRS_KEY], settings.significance),
        *per_class_table(models),
        *overfitting_section(training, models, settings),
        *crossval_section(crossval, settings.significance),
        *plots_section(list(models)),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
