"""study/report.md from the study's detail files and the single run's metrics: no number typed.

Every comparison says its scope. McNemar's test in report.md compares two trained networks on
the same 10,000 test images; the sections here compare architectures with their training
recipes, across seeds or across folds, which is the notebook's real question. The seed study
decides only the comparisons declared in params.yaml (study.comparisons); every other pair is
exploratory and says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from scipy import stats as scipy_stats

from mnist_cnn.evaluation.stats import pair_key
from mnist_cnn.evaluation.wording import p_phrase, points
from mnist_cnn.params import Params
from mnist_cnn.study.summary import CAUTIOUS_EFFECT, CAUTIOUS_SPREAD

Metrics = Mapping[str, Any]
# A p below this is what the per-pair tests (exploratory pairs, the fold test) call detected.
DETECTION_LEVEL = 0.05


def _spread(summary: Metrics, digits: int = 4) -> str:
    return f"{summary['mean']:.{digits}f} ± {summary['sd']:.{digits}f}"


def bound_text(value: float) -> str:
    """An interval's end in pp; one that rounds to 0.00 gets the digits that show its side,
    so that an interval excluding 0 never prints as touching it."""
    if value != 0 and abs(100 * value) < 0.005:
        return f"{100 * value:+.1e} pp"
    return points(value)


def interval_text(low: float, high: float) -> str:
    return f"[{bound_text(low)}, {bound_text(high)}]"


def models_table(seeds: Metrics, single_run: Metrics) -> list[str]:
    level = f"{seeds['confidence']:.0%}"
    lines = [
        f"| model | runs | test acc | {level} CI of the mean | single run | val acc | test loss "
        "| epochs run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, model in seeds["models"].items():
        test = model["test_accuracy"]
        single = single_run.get(name, {}).get("test", {}).get("accuracy")
        optional = [
            _spread(model[figure]) if figure in model else "pending"
            for figure in ("val_accuracy", "test_loss")
        ]
        epochs = model.get("epochs_run")
        epochs_text = "pending" if epochs is None else f"{epochs['min']:.0f}-{epochs['max']:.0f}"
        lines.append(
            f"| {name} | {test['n']} | {_spread(test)} | [{test['ci_low']:.4f}, "
            f"{test['ci_high']:.4f}] | {'-' if single is None else f'{single:.4f}'} "
            f"| {optional[0]} | {optional[1]} | {epochs_text} |"
        )
    return lines


def scope_line(seeds: Metrics, single_run: Metrics) -> str:
    """Whether the intervals cover the draw of the test images, and if not, how much it is."""
    family = declared(seeds)
    if all(result["image_variance"] is not None for result in family.values()):
        return (
            "Scope of every interval below: the seeds and the test images (the variance from "
            "drawing the test images, estimated from each run's per-image correctness, is "
            "added to the seeds' variance)."
        )
    scale = [
        test_image_scale(single_run["pairs"][key])
        for key in family
        if key in single_run.get("pairs", {})
    ]
    line = (
        "Scope of every interval below: conditional on these "
        f"{seeds['test_images']:,} test images. The runs carry no per-image correctness yet "
        "(pending the re-run), so the variance from drawing the test images is not in them."
    )
    if scale:
        line += (
            " For scale, the single run's discordant counts (report.md) put one pair of "
            f"networks' test-image standard error at {min(scale):.2f}-{max(scale):.2f} pp for "
            "these comparisons (an upper bound for the recipes' means: it also holds each "
            "image's seed-to-seed noise)."
        )
    return line


def test_image_scale(pair: Metrics) -> float:
    """The test-image standard error, in pp, of one McNemar pair's accuracy difference:
    sqrt(((b + c)/N - ((b - c)/N)^2) / N) from the discordant counts b, c over N images."""
    images = sum(
        pair[key]
        for key in ("both_correct", "both_wrong", "only_first_correct", "only_second_correct")
    )
    discordant = (pair["only_first_correct"] + pair["only_second_correct"]) / images
    shift = (pair["only_first_correct"] - pair["only_second_correct"]) / images
    return 100 * math.sqrt((discordant - shift**2) / images)


def declared(seeds: Metrics) -> dict[str, Metrics]:
    """The declared comparisons in the order params.yaml declares them."""
    return {key: seeds["declared"][key] for key in seeds["family"]}


def family_section(seeds: Metrics, single_run: Metrics) -> list[str]:
    family = declared(seeds)
    count = len(family)
    joint = f"{seeds['simultaneous_confidence']:.2%}"
    margin = f"{100 * seeds['equivalence_margin']:.2f} pp"
    lines = [
        "## The declared comparisons",
        "",
        f"The study decides the {count} comparisons declared in params.yaml (`study.comparisons`) "
        "before these runs: the notebook's questions (is B better than A; does dropout "
        "help B; does L2 with early stopping help on top; does global average pooling do as "
        f"well as Flatten). Holm's correction runs over exactly these {count}; beside each, the "
        f"{joint} simultaneous interval (Bonferroni: all {count} cover together with at least "
        f"{seeds['confidence']:.0%} probability). The verdict is read off that interval: "
        "excluding 0, the side it lies on is better; inside "
        f"±{margin}, no difference larger than its farthest end; otherwise undecided. Welch's "
        "t-test on the runs' test accuracies.",
        "",
        scope_line(seeds, single_run),
        "",
        f"| comparison | first minus second | {seeds['confidence']:.0%} interval, this pair "
        f"| {joint} simultaneous | p | Holm p | verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for key, result in family.items():
        lines.append(
            f"| {key.replace('_vs_', ' vs ')} | {points(result['difference'])} "
            f"| {interval_text(result['ci_low'], result['ci_high'])} "
            f"| {interval_text(result['simultaneous_low'], result['simultaneous_high'])} "
            f"| {p_phrase(result['p_value'])} | {p_phrase(result['p_holm'])} "
            f"| {result['verdict']} |"
        )
    sharper = [
        key.replace("_vs_", " vs ")
        for key, result in family.items()
        if result["p_holm"] < 1 - seeds["confidence"] and result["verdict"] == "undecided"
    ]
    if sharper:
        lines += [
            "",
            f"{', '.join(sharper)}: Holm's adjusted p is below {1 - seeds['confidence']:.2f}, "
            "yet the simultaneous interval beside it includes 0. Holm's step-down is sharper "
            "than Bonferroni but has no simultaneous interval to match it, so the verdict is "
            "the interval's: undecided, until more seeds narrow it.",
        ]
    return [*lines, ""]


def _seeds_text(needed: int | None, cap: int) -> str:
    return f"more than {cap}" if needed is None else str(needed)


def decision_line(seeds: Metrics, cap: int) -> str:
    """Whether the runs decide every declared comparison; if not, which not, and the seeds per
    model each would need."""
    family = declared(seeds)
    undecided = {key: result for key, result in family.items() if result["verdict"] == "undecided"}
    runs = sorted({result["seeds"] for result in family.values()})
    if not undecided:
        return (
            f"Every declared comparison is decided by these runs ({' or '.join(map(str, runs))} "
            "seeds per model); the power section's seed counts are what a new study of these "
            "recipes would plan for, not a shortfall of this one."
        )
    listed = "; ".join(
        f"{key.replace('_vs_', ' vs ')} ({result['seeds']} seeds now; "
        f"{_seeds_text(result['seeds_to_decide'], cap)} per model would decide it, "
        f"{_seeds_text(result['seeds_to_decide_cautious'], cap)} cautiously)"
        for key, result in undecided.items()
    )
    return f"Still undecided: {listed}."


def power_section(seeds: Metrics, cap: int) -> list[str]:
    power = f"{seeds['power']:.0%}"
    level = 1 - seeds["simultaneous_confidence"]
    lines = [
        "## Power: how many seeds would decide each comparison",
        "",
        f"For each declared comparison: the true difference the current runs detect with "
        f"{power} power at the family level (two-sided Welch at {level:.4f}, the simultaneous "
        "intervals' level; normal-approximation formula with t quantiles), and, taking the "
        "observed difference and spreads as true, the fewest seeds per model that would "
        "decide it (detect it with that power, or bound it within the margin). The observed "
        "difference of a comparison that comes out significant tends to overstate the true one "
        "(the winner's curse), so these counts are a floor; the cautious column takes the true "
        f"difference as {CAUTIOUS_EFFECT:.0%} of the observed one and the true sds as "
        f"{CAUTIOUS_SPREAD:g} times the observed ones.",
        "",
        f"| comparison | observed | detectable now ({power} power) | seeds now "
        f"| seeds to decide ({power} power) | cautious |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, result in declared(seeds).items():
        lines.append(
            f"| {key.replace('_vs_', ' vs ')} | {points(result['difference'])} "
            f"| {100 * result['detectable_difference']:.2f} pp | {result['seeds']} "
            f"| {_seeds_text(result['seeds_to_decide'], cap)} "
            f"| {_seeds_text(result['seeds_to_decide_cautious'], cap)} |"
        )
    return [*lines, "", decision_line(seeds, cap), ""]


def exploratory_section(seeds: Metrics) -> list[str]:
    lines = [
        "## Exploratory pairs",
        "",
        "Every pair outside the declared family, for looking, not deciding: per-pair "
        f"{seeds['confidence']:.0%} interval and unadjusted p, no correction, no verdict. A "
        "small p here is a question for the next declared family, not an answer.",
        "",
    ]
    for key, result in seeds["exploratory"].items():
        lines.append(
            f"- {key.replace('_vs_', ' vs ')} (exploratory): {points(result['difference'])} "
            f"{interval_text(result['ci_low'], result['ci_high'])}, "
            f"{p_phrase(result['p_value'])}."
        )
    return [*lines, ""]


def seeds_section(seeds: Metrics, single_run: Metrics, cap: int) -> list[str]:
    return [
        "## Across seeds",
        "",
        f"Scope: each architecture with its training recipe, trained with seeds "
        f"{', '.join(map(str, seeds['seeds']))} on the notebook's split (the seed decides the "
        "initial weights, the dropout masks and the batch order), each run scored on the "
        f"{seeds['test_images']:,} test images. Mean ± standard deviation over runs; the "
        f"{seeds['confidence']:.0%} interval of the mean, clamped to [0, 1]; beside them the "
        "single run of `report.md` (the pipeline's seed).",
        "",
        *models_table(seeds, single_run),
        "",
        *family_section(seeds, single_run),
        *power_section(seeds, cap),
        *exploratory_section(seeds),
    ]


def fold_comparison(crossval: Metrics, first: str, second: str) -> dict[str, str]:
    """Two recipes across folds in words: the corrected test and its interval; the plain
    test's p, labelled as what it is."""
    pair = crossval["pairs"][pair_key(first, second)]
    corrected = pair["corrected"]
    low, high = corrected.get("ci_low"), corrected.get("ci_high")
    better = first if corrected["difference"] > 0 else second
    excludes_zero = low is not None and (low > 0 or high < 0)
    return {
        "verdict": f"{better} is better" if excludes_zero else "undecided",
        "difference": points(corrected["difference"]),
        "interval": "-" if low is None else interval_text(low, high),
        "ahead": f"{corrected['folds_first_ahead']} of {corrected['folds']}",
        "signs": ", ".join(points(value) for value in corrected["fold_differences"]),
        # Three significant digits: this p sits at the level, where 0.0499 must not read 0.050.
        "p": f"p = {corrected['p_value']:.3g}",
        "p_plain": p_phrase(pair["optimistic"]["p_value"]),
    }


def crossval_models(crossval: Metrics) -> list[str]:
    return [name for name in crossval if isinstance(crossval[name], Mapping) and name != "pairs"]


def crossval_section(crossval: Metrics) -> list[str]:
    names = crossval_models(crossval)
    level = f"{crossval['confidence']:.0%}"
    lines = [
        "## Across folds",
        "",
        f"Scope: each architecture with its training recipe, trained on {crossval['folds']} "
        f"stratified folds of all training images ({crossval['train_images']:,} to train, "
        f"{crossval['val_images']:,} held out per fold); the last epoch's accuracy on the "
        "held-out fold. One question, so a family of one; the verdict is read off the "
        "corrected interval.",
        "",
        "| model | mean ± sd | per fold |",
        "|---|---:|---|",
    ]
    for name in names:
        folds = ", ".join(f"{value:.4f}" for value in crossval[name]["fold_val_accuracy"])
        lines.append(f"| {name} | {_spread(crossval[name]['val_accuracy'])} | {folds} |")
    lines.append("")
    for first, second in zip(names, names[1:], strict=False):
        said = fold_comparison(crossval, first, second)
        lines.append(
            f"- {first} vs {second}: {said['verdict']}; {first} minus {second} "
            f"{said['difference']} on average, {level} corrected interval {said['interval']}, "
            f"ahead on {said['ahead']} folds ({said['signs']}); corrected resampled t-test "
            f"(Nadeau and Bengio) {said['p']}. For contrast only: the plain paired t-test, "
            f"which treats the overlapping folds as independent and is too sure, gives "
            f"{said['p_plain']}."
        )
    return [*lines, ""]


def l2_outcome(l2_fit: Metrics) -> str:
    """Whether the closest candidate should replace the declared factor (clearly better: its
    mean error lower by more than twice the larger seed-to-seed sd of the two)."""
    default = l2_fit["default_factor"]
    if l2_fit["best_clearly_better_than_default"]:
        return f"clearly better than the declared {default}, which should move"
    return f"not clearly better than the declared {default}, which stays"


def l2_conclusion(l2_fit: Metrics) -> str:
    best, default = l2_fit["best_factor"], l2_fit["default_factor"]
    sentence = f"Closest of the candidates on validation loss: {best}"
    if l2_fit["runner_up_factor"] is not None:
        sentence += (
            f", ahead of the runner-up {l2_fit['runner_up_factor']} by "
            f"{l2_fit['margin_over_runner_up']:.4f} in mean error (the larger seed-to-seed sd "
            f"of the two: {l2_fit['margin_sd']:.4f}; {l2_fit['seeds_per_factor']} seeds per "
            "factor)"
        )
    sentence += "."
    if l2_fit["best_at_grid_edge"]:
        sentence += (
            " It is at the edge of the grid, so a factor beyond it may fit better: the grid "
            "does not bracket the best factor."
        )
    if best == default:
        sentence += (
            f" It is also the declared factor ({default}); being the closest candidate does "
            "not make the declaration right, only the best of these."
        )
    elif l2_fit["runner_up_factor"] == default:
        # The margin printed above is already the distance to the declared factor.
        sentence += f" The runner-up is the declared factor: the best is {l2_outcome(l2_fit)}."
    else:
        errors = {c["factor"]: c["val_loss"] for c in l2_fit["candidates"].values()}
        lower_by = errors[default]["rmse_mean"] - errors[best]["rmse_mean"]
        larger_sd = max(errors[default]["rmse_sd"], errors[best]["rmse_sd"])
        sentence += (
            f" Its mean error is {lower_by:.4f} below the declared {default}'s (the larger "
            f"seed-to-seed sd of the two: {larger_sd:.4f}): it is {l2_outcome(l2_fit)}."
        )
    if best != default:
        sentence += " (Clearly: lower by more than twice the larger seed-to-seed sd.)"
    return sentence


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
    return [*lines, "", l2_conclusion(l2_fit), ""]


# Which way is worse for each figure the notebook printed: lower accuracy, higher loss.
WORSE_WHEN_LOWER = {"test_accuracy", "val_accuracy", "train_accuracy"}


def shown(value: float, bound: float, figure: str) -> str:
    """Digits enough that a value outside its interval never prints equal to the bound."""
    if figure == "epochs_run":
        return f"{value:.1f}"
    digits = 4
    while digits < 8 and f"{value:.{digits}f}" == f"{bound:.{digits}f}" and value != bound:
        digits += 1
    return f"{value:.{digits}f}"


def fidelity_rows(seeds: Metrics) -> list[str]:
    tested = seeds["notebook"]["tested"]
    lines = [
        f"| model | figure | notebook | our runs (min-max) | {seeds['confidence']:.0%} prediction "
        f"interval | in range | in interval | in the interval for all {tested} at once "
        "| distance (sd) |",
        "|---|---|---:|---:|---:|---|---|---|---:|",
    ]
    for name, figures in seeds["notebook"]["figures"].items():
        for figure, verdict in figures.items():
            model = seeds["models"][name][figure]
            value = verdict["value"]
            nearest = model["pi_low"] if value < model["mean"] else model["pi_high"]
            digits_of = shown(value, nearest, figure)
            places = len(digits_of.split(".")[1])
            form = f".{places}f"
            lines.append(
                f"| {name} | {figure} | {digits_of} | {model['min']:{form}}-{model['max']:{form}} "
                f"| [{model['pi_low']:{form}}, {model['pi_high']:{form}}] "
                f"| {'yes' if verdict['within_range'] else 'no'} "
                f"| {'yes' if verdict['within_prediction_interval'] else 'no'} "
                f"| {'yes' if verdict['within_joint_interval'] else 'no'} "
                f"| {(value - model['mean']) / model['sd']:+.1f} |"
            )
    return lines


def _distance(seeds: Metrics, name: str, figure: str) -> float:
    """(notebook - our mean) / our sd of one figure."""
    summary = seeds["models"][name][figure]
    return float(
        (seeds["notebook"]["figures"][name][figure]["value"] - summary["mean"]) / summary["sd"]
    )


def miss_verb(count: int) -> str:
    """ "miss" agreeing with a count: 1 misses, 0 or 2 miss."""
    return "misses" if count == 1 else "miss"


def multiplicity_line(seeds: Metrics) -> str:
    figures = [
        verdict for model in seeds["notebook"]["figures"].values() for verdict in model.values()
    ]
    tested = len(figures)
    misses = sum(not verdict["within_prediction_interval"] for verdict in figures)
    joint_misses = sum(not verdict["within_joint_interval"] for verdict in figures)
    chance = tested * (1 - seeds["confidence"])
    return (
        f"Multiplicity: {tested} figures are tested; if the notebook's runs were draws of ours, "
        f"about {chance:.1f} of them would miss a {seeds['confidence']:.0%} interval by chance "
        f"alone. {misses} {miss_verb(misses)} it; {joint_misses} {miss_verb(joint_misses)} the "
        f"interval that holds for all {tested} at once (Bonferroni, "
        f"{seeds['notebook']['joint_confidence']:.2%})."
    )


def constant_line(seeds: Metrics) -> str:
    constant = seeds["notebook"]["constant"]
    if not constant:
        return ""
    listed = "; ".join(
        f"{name} {figure} (ours always {seeds['models'][name][figure]['mean']:g}, notebook "
        f"{value:g})"
        for name, figures in constant.items()
        for figure, value in figures.items()
    )
    return (
        "Left out, because every one of our runs gave the same value, so they test nothing: "
        f"{listed}."
    )


def misses_by_model(seeds: Metrics) -> dict[str, list[str]]:
    """Per model with any, the figures outside the prediction interval."""
    found: dict[str, list[str]] = {}
    for name, figures in seeds["notebook"]["figures"].items():
        misses = [
            figure
            for figure, verdict in figures.items()
            if not verdict["within_prediction_interval"]
        ]
        if misses:
            found[name] = misses
    return found


def misses_opening(seeds: Metrics, name: str, figures: Sequence[str]) -> str:
    """Which figures miss, how far, and which way: the notebook's run worse or better."""
    model = seeds["models"][name]
    listed = ", ".join(f"{figure} {_distance(seeds, name, figure):+.1f} sd" for figure in figures)
    worse = [
        (seeds["notebook"]["figures"][name][figure]["value"] < model[figure]["mean"])
        == (figure in WORSE_WHEN_LOWER)
        for figure in figures
    ]
    if len(figures) == 1:
        side = "worse" if worse[0] else "better"
        return f"{name}'s miss ({listed}): the notebook's run did {side} than ours there."
    if all(worse) or not any(worse):
        side = "worse" if all(worse) else "better"
        return f"{name}'s misses ({listed}) all point one way: the notebook's run did {side}."
    return f"{name}'s misses ({listed}) point both ways."


def misses_paragraph(seeds: Metrics) -> list[str]:
    """What reading the code and the notebook's text says about each model's misses."""
    lines = []
    level = scipy_stats.norm.ppf((1 + seeds["confidence"]) / 2)
    for name, figures in misses_by_model(seeds).items():
        sentence = (
            misses_opening(seeds, name, figures) + " Investigated by reading, not by training: "
        )
        explained = False
        if "val_accuracy" in figures:
            summary = seeds["models"][name]["val_accuracy"]
            val = summary["mean"]
            images = VALIDATION_IMAGES
            binomial = math.sqrt(val * (1 - val) / images)
            both = math.sqrt(binomial**2 + summary["sd"] ** 2 * (1 + 1 / summary["n"]))
            left = (seeds["notebook"]["figures"][name]["val_accuracy"]["value"] - val) / both
            explained = abs(left) < level
            sentence += (
                "the notebook's validation figure is on its own 6,000-image split (its "
                "train_test_split's random state is cut off in its text), and our spread over "
                f"seeds, all on one fixed split, leaves that draw out: near {val:.4f} a "
                f"{images:,}-image split alone has a binomial sd of {binomial:.4f}, against "
                f"our seed sd of {summary['sd']:.4f}. With both, the notebook's figure lies "
                f"{left:+.1f} sd from our mean: "
                + (
                    "that draw explains the miss."
                    if explained
                    else "that draw explains part of the miss, not all of it."
                )
            )
        others = [figure for figure in figures if figure != "val_accuracy"]
        if others or not explained:
            sentence += (
                " The rest is unexplained:"
                if "val_accuracy" in figures
                else "nothing found explains it;"
            ) + (
                " a difference of framework version or a recipe detail the notebook's text does "
                "not show would fit, and neither is tested."
            )
        lines += [sentence, ""]
    return lines


# The notebook's validation split: 10% of MNIST's 60,000 training images (shared/seed notes).
VALIDATION_IMAGES = 6000


def single_run_paragraph(seeds: Metrics, single_run: Metrics, params: Params) -> list[str]:
    """The pipeline's own run against the study's spread: each run outside the interval, or,
    when all are inside, the farthest."""
    singles = {
        name: single
        for name, model in seeds["models"].items()
        if (single := single_run.get(name, {}).get("test", {}).get("accuracy")) is not None
        and model["test_accuracy"]["sd"] > 0
    }
    if not singles:
        return []
    tests = {name: seeds["models"][name]["test_accuracy"] for name in singles}
    distances = {
        name: (singles[name] - tests[name]["mean"]) / tests[name]["sd"] for name in singles
    }
    outside = [
        name
        for name in singles
        if not tests[name]["pi_low"] <= singles[name] <= tests[name]["pi_high"]
    ]
    threads = params.train.threads
    lines = []
    for name in outside:
        distance, runs = distances[name], tests[name]["n"]
        lines += [
            f"The pipeline's own {name} run (test accuracy {singles[name]:.4f}, seed "
            f"{params.seed}) lies {distance:+.1f} sd from the study's mean of {runs} runs. With "
            f"an sd from {runs - 1} degrees of freedom, one more run lands that far or farther "
            f"with probability {t_tail(distance, runs):.3f}. Read from the code, the pipeline's "
            "recipe is the study's except the seed and the thread count (train.threads "
            f"{'null, every core' if threads is None else threads} against "
            f"study.threads_per_task {params.study.threads_per_task}: a different summation "
            "order, which moves one run's numbers but is not known to move their mean); a "
            "resumed training sees the same batches as one that never stopped. Nothing found "
            "explains it beyond chance; it is unexplained.",
            "",
        ]
    if lines:
        return lines
    farthest = max(distances, key=lambda name: abs(distances[name]))
    return [
        f"The pipeline's own run of each model (`report.md`, seed {params.seed}) lies inside "
        f"the {seeds['confidence']:.0%} prediction interval for one more of the study's runs "
        f"on test accuracy; the farthest, {farthest}, {distances[farthest]:+.1f} sd from the "
        f"mean of {tests[farthest]['n']} runs.",
        "",
    ]


def fidelity_section(seeds: Metrics, single_run: Metrics, params: Params) -> list[str]:
    lines = [
        "## The notebook's figures against our spread",
        "",
        "The notebook reports one run of each network. Each of its figures is one draw; the "
        "question is whether it lies inside the range of our runs and inside the "
        f"{seeds['confidence']:.0%} prediction interval for one more run of ours (clamped to "
        "the values that can occur: accuracies in [0, 1], epochs between the earliest early "
        "stop, patience + 1, and the cap). Distance: (notebook - our mean) / our sd.",
        "",
        *fidelity_rows(seeds),
        "",
        multiplicity_line(seeds),
        "",
    ]
    constant = constant_line(seeds)
    if constant:
        lines += [constant, ""]
    return [*lines, *misses_paragraph(seeds), *single_run_paragraph(seeds, single_run, params)]


def render_study_report(
    seeds: Metrics, crossval: Metrics, l2_fit: Metrics, single_run: Metrics, params: Params
) -> str:
    """The page from the study's detail files (study/reports/*.json) and metrics/evaluate.json."""
    lines = [
        "# The study: what holds beyond one run",
        "",
        "Generated by `dvc repro study/dvc.yaml` from `study/reports/*.json` and "
        "`metrics/evaluate.json`.",
        "",
        *seeds_section(seeds, single_run, params.study.max_replicates),
        *fidelity_section(seeds, single_run, params),
        *crossval_section(crossval),
        *l2_section(l2_fit, params.study.l2_fit.model),
        "![Every run's test accuracy](plots/pictures/seeds.png)",
        "",
        "![The L2 candidates' validation curves](plots/pictures/l2_fit.png)",
    ]
    return "\n".join(lines) + "\n"


def t_tail(distance_in_sd: float, runs: int) -> float:
    """P(|T| >= d / sqrt(1 + 1/n)) with n - 1 degrees of freedom: how often one more run lands
    at least `distance_in_sd` sample sds from the mean of n runs."""
    return float(2 * scipy_stats.t.sf(abs(distance_in_sd) / math.sqrt(1 + 1 / runs), runs - 1))
