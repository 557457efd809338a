"""study/report.md from the study's metrics and the single run's: no sentence typed by hand.

Every comparison says its scope. McNemar's test in report.md compares two trained networks on
the same 10,000 test images; the sections here compare architectures with their training
recipes, across seeds or across folds, which is the notebook's real question.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mnist_cnn.evaluation.stats import model_pairs, pair_key
from mnist_cnn.evaluation.wording import p_phrase, points
from mnist_cnn.params import Params
from mnist_cnn.study.stats import interval_over_folds
from mnist_cnn.study.summary import NOTEBOOK_MEASURES

Metrics = Mapping[str, Any]
# Keys of the seed metrics that are not models.
NOT_MODELS = ("seeds", "test_images", "pairs", "notebook")
# A (Holm-adjusted) p below this is called a detected difference.
DETECTION_LEVEL = 0.05


def _models(seeds: Metrics) -> list[str]:
    return [name for name in seeds if name not in NOT_MODELS]


def _spread(summary: Metrics, digits: int = 4) -> str:
    return f"{summary['mean']:.{digits}f} ± {summary['sd']:.{digits}f}"


def seeds_section(seeds: Metrics, single_run: Metrics, confidence: float) -> list[str]:
    names = _models(seeds)
    runs = seeds[names[0]]["runs"]
    level = f"{confidence:.0%}"
    lines = [
        "## Across seeds",
        "",
        f"Scope: each architecture with its training recipe, trained {runs} times on the "
        f"notebook's split with seeds {', '.join(map(str, seeds['seeds']))} (the seed decides "
        "the initial weights, the dropout masks and the batch order), each run scored on the "
        f"{seeds['test_images']:,} test images. Mean ± standard deviation over runs; the "
        f"{level} interval of the mean; beside them the single run of `report.md` (the "
        "pipeline's seed).",
        "",
        f"| model | runs | test acc | {level} CI of the mean | single run | val acc | test loss "
        "| epochs run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        model = seeds[name]
        test = model["test"]["accuracy"]
        epochs = model["epochs_run"]
        single = single_run[name]["test"]["accuracy"] if name in single_run else None
        lines.append(
            f"| {name} | {model['runs']} | {_spread(test)} | [{test['ci_low']:.4f}, "
            f"{test['ci_high']:.4f}] | {'-' if single is None else f'{single:.4f}'} "
            f"| {_spread(model['val']['accuracy'])} | {_spread(model['test']['loss'])} "
            f"| {epochs['min']:.0f}-{epochs['max']:.0f} |"
        )
    lines += ["", *_pair_lines(seeds, names, confidence), ""]
    return lines


def _pair_lines(seeds: Metrics, names: list[str], confidence: float) -> list[str]:
    lines = [
        "Pairs (Welch's t-test on the runs' test accuracies, Holm-adjusted over all "
        f"{len(seeds['pairs'])} pairs; {confidence:.0%} interval of the difference in means, "
        f"for that pair alone). An adjusted p above {DETECTION_LEVEL} means no difference was "
        "detected with these runs, not that there is none: the interval says how large a "
        "difference they still allow. An interval that excludes zero beside an adjusted p "
        f"above {DETECTION_LEVEL} is a difference this pair alone would show but the family of "
        "pairs does not confirm.",
        "",
    ]
    for first, second in model_pairs(names):
        said = seed_comparison(seeds, first, second)
        lines.append(
            f"- {first} vs {second}: {said['verdict']}; {first} minus {second} "
            f"{said['difference']} {said['interval']}, {said['p']}, Holm-adjusted "
            f"{said['p_holm']}."
        )
    return lines


def seed_comparison(seeds: Metrics, first: str, second: str) -> dict[str, str]:
    """Two recipes across seeds in words: verdict, difference, interval, p and adjusted p."""
    comparison = seeds["pairs"][pair_key(first, second)]["test_accuracy"]
    detected = comparison["p_holm"] < DETECTION_LEVEL
    better = first if comparison["difference"] > 0 else second
    return {
        "verdict": f"{better} is better" if detected else "no difference detected",
        "difference": points(comparison["difference"]),
        "interval": f"[{points(comparison['ci_low'])}, {points(comparison['ci_high'])}]",
        "p": p_phrase(comparison["p_value"]),
        "p_holm": p_phrase(comparison["p_holm"]),
    }


def fold_comparison(crossval: Metrics, first: str, second: str, confidence: float) -> dict:
    """Two recipes across folds in words: the corrected test, its interval, the plain test."""
    pair = crossval["pairs"][pair_key(first, second)]
    corrected = pair["corrected"]
    interval = interval_over_folds(corrected, confidence)
    better = first if corrected["difference"] > 0 else second
    return {
        "verdict": (
            f"{better} is better"
            if corrected["p_value"] < DETECTION_LEVEL
            else "no difference detected"
        ),
        "difference": points(corrected["difference"]),
        "interval": "-" if interval is None else f"[{points(interval[0])}, {points(interval[1])}]",
        "ahead": f"{corrected['folds_first_ahead']} of {corrected['folds']}",
        "signs": ", ".join(points(value) for value in corrected["fold_differences"]),
        "p": p_phrase(corrected["p_value"]),
        "p_plain": p_phrase(pair["optimistic"]["p_value"]),
    }


def fidelity_section(seeds: Metrics, confidence: float) -> list[str]:
    lines = [
        "## The notebook's figures against our spread",
        "",
        "The notebook reports one run of each network. Each of its figures is one draw; the "
        f"question is whether it lies inside the range of our runs and inside the {confidence:.0%} "
        "prediction interval for one more run of ours.",
        "",
        "| model | figure | notebook | our runs (min-max) | prediction interval | inside range "
        "| inside interval |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for name, figures in seeds["notebook"].items():
        for figure, verdict in figures.items():
            measure = _measure(seeds[name], figure)
            shown = _figure_format(figure)
            lines.append(
                f"| {name} | {figure} | {verdict['value']:{shown}} | {measure['min']:{shown}}-"
                f"{measure['max']:{shown}} | [{measure['pi_low']:{shown}}, "
                f"{measure['pi_high']:{shown}}] "
                f"| {'yes' if verdict['within_range'] else 'no'} "
                f"| {'yes' if verdict['within_prediction_interval'] else 'no'} |"
            )
    return [*lines, ""]


def _figure_format(figure: str) -> str:
    """Epoch counts with one decimal (their intervals are not whole numbers), the rest with 4."""
    return ".1f" if figure == "epochs_run" else ".4f"


def _measure(model: Metrics, figure: str) -> Metrics:
    node: Any = model
    for key in NOTEBOOK_MEASURES[figure].split("."):
        node = node[key]
    return node


def crossval_models(crossval: Metrics) -> list[str]:
    return [name for name in crossval if isinstance(crossval[name], Mapping) and name != "pairs"]


def crossval_section(crossval: Metrics, confidence: float) -> list[str]:
    names = crossval_models(crossval)
    lines = [
        "## Across folds",
        "",
        f"Scope: each architecture with its training recipe, trained on {crossval['folds']} "
        f"stratified folds of all training images ({crossval['train_images']:,} to train, "
        f"{crossval['val_images']:,} held out per fold); the last epoch's accuracy on the "
        "held-out fold.",
        "",
        "| model | mean ± sd | per fold |",
        "|---|---:|---|",
    ]
    for name in names:
        folds = ", ".join(f"{value:.4f}" for value in crossval[name]["fold_val_accuracy"])
        lines.append(f"| {name} | {_spread(crossval[name]['val_accuracy'])} | {folds} |")
    lines.append("")
    for first, second in model_pairs(names):
        said = fold_comparison(crossval, first, second, confidence)
        lines.append(
            f"- {first} vs {second}: {said['verdict']}; {first} minus {second} "
            f"{said['difference']} on average, {confidence:.0%} interval {said['interval']}, "
            f"ahead on {said['ahead']} folds ({said['signs']}); corrected resampled t-test "
            f"(Nadeau and Bengio) {said['p']}. The plain paired t-test, which treats the "
            f"overlapping folds as independent and is too sure, would say {said['p_plain']}."
        )
    return [*lines, ""]


def l2_section(l2_fit: Metrics, model: str) -> list[str]:
    lines = [
        f"## {model}'s L2 factor",
        "",
        f"The notebook's text cuts off {model}'s L2 factor. Each candidate was trained with the "
        "first seeds of the study; the error is the root-mean-square difference between our "
        "per-epoch curve and the notebook's printed one, over the epochs both ran (mean ± sd "
        "over seeds).",
        "",
        "| factor | val_loss error | val_accuracy error | training accuracy error | epochs run |",
        "|---:|---:|---:|---:|---|",
    ]
    for candidate in l2_fit["candidates"].values():
        lines.append(
            f"| {candidate['factor']} "
            + "".join(
                f"| {candidate[curve]['rmse_mean']:.4f} ± {candidate[curve]['rmse_sd']:.4f} "
                for curve in ("val_loss", "val_accuracy", "accuracy")
            )
            + f"| {', '.join(map(str, candidate['epochs_run']))} |"
        )
    if l2_fit["best_factor"] == l2_fit["default_factor"]:
        conclusion = (
            f"The declared factor, {l2_fit['default_factor']}, is the candidate closest to the "
            "notebook's validation loss."
        )
    else:
        verdict = (
            "clearly better than"
            if l2_fit["best_clearly_better_than_default"]
            else "not clearly better than"
        )
        conclusion = (
            f"Closest to the notebook's validation loss: {l2_fit['best_factor']}; it is "
            f"{verdict} the declared {l2_fit['default_factor']} (clearly: lower by more than "
            "twice the larger seed-to-seed spread of the two)."
        )
    lines += ["", conclusion, ""]
    return lines


def render_study_report(
    seeds: Metrics, crossval: Metrics, l2_fit: Metrics, single_run: Metrics, params: Params
) -> str:
    confidence = params.study.confidence
    lines = [
        "# The study: what holds beyond one run",
        "",
        "Generated by `dvc repro study/dvc.yaml` from `study/metrics/*.json` and "
        "`metrics/evaluate.json`.",
        "",
        *seeds_section(seeds, single_run, confidence),
        *fidelity_section(seeds, confidence),
        *crossval_section(crossval, confidence),
        *l2_section(l2_fit, params.study.l2_fit.model),
        "![Every run's test accuracy](plots/pictures/seeds.png)",
        "",
        "![The L2 candidates' validation curves](plots/pictures/l2_fit.png)",
    ]
    return "\n".join(lines) + "\n"
