"""The study's stages (study/dvc.yaml): many trainings through the engine, then statistics.

`seeds`: every declared model trained with study.replicates seeds on the notebook's split.
`crossval`: the models of study.crossval trained on each stratified fold of all training
images. `l2_fit`: study.l2_fit.model with each candidate L2 factor, against the notebook's
printed curves. `report`: study/report.md from those metrics and the single run's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mnist_cnn import files, history
from mnist_cnn.errors import DataError
from mnist_cnn.layout import PARTS, Layout
from mnist_cnn.params import ModelParams, Params
from mnist_cnn.params.layers import Conv2D, Dense
from mnist_cnn.study import figures, headline, summary
from mnist_cnn.study.engine import Task, run_tasks
from mnist_cnn.study.fingerprint import SEED_GROUP_ENTRY, TRAINING_ENTRY, code_fingerprint
from mnist_cnn.study.report import render_study_report
from mnist_cnn.study.runs import Check, results_by_label
from mnist_cnn.study.seed_groups import (
    SeedGroup,
    group_problem,
    group_task,
    per_training,
    train_group,
)
from mnist_cnn.study.tasks import fold_task, holdout_task, result_problem, train_task
from mnist_cnn.training.devices import COMPILED_EPOCH


def study_inputs(layout: Layout) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The prepared arrays every task reads, and their files' hashes (part of each task key).

    `pool_*` is the train and validation parts together, in MNIST's order: the 60,000 (or
    split.limit) training images that cross-validation divides into folds.
    """
    parts = {
        part: files.read_npz(layout.prepared_part(part), ("images", "one_hot", "source_index"))
        for part in PARTS
    }
    arrays = {
        f"{part}_{field}": parts[part][field] for part in PARTS for field in ("images", "one_hot")
    }
    order = np.argsort(
        np.concatenate([parts["train"]["source_index"], parts["val"]["source_index"]]),
        kind="stable",
    )
    for field in ("images", "one_hot"):
        arrays[f"pool_{field}"] = np.concatenate([parts["train"][field], parts["val"][field]])[
            order
        ]
    return arrays, input_hashes(layout)


def input_hashes(layout: Layout) -> dict[str, str]:
    """The prepared parts' file hashes: part of every task key."""
    return {part: files.sha256_file(layout.prepared_part(part)) for part in PARTS}


def holdout_tasks(
    params: Params,
    name: str,
    model: ModelParams,
    seeds: Sequence[int],
    inputs: dict[str, str],
    variant: str = "",
) -> list[Task]:
    """`model` trained with each of `seeds` on the notebook's split: one task per seed, or, on
    the compiled engine, one task training them all in one program (study.seed_groups)."""
    if params.train.engine == COMPILED_EPOCH:
        return [group_task(params, name, seeds, inputs, model, variant)]
    return [holdout_task(params, name, seed, inputs, model, variant) for seed in seeds]


def run_study_tasks(
    layout: Layout,
    params: Params,
    part: str,
    tasks: Sequence[Task],
    arrays: dict[str, np.ndarray],
) -> list[dict[str, Any]]:
    """Every training's result, in task order (a group's seeds in their order): trained through
    the engine, or reused from a record that checks out and came from the code on the training
    path now; then read back from the committed run folder, so that what is summarised is
    exactly what git holds. The tasks are all groups or all single trainings."""
    runtime = params.runtime
    work, check, entry = training_kind(tasks)
    run_tasks(
        tasks,
        work,
        shared={"arrays": arrays, "steps_per_execution": runtime.steps_per_execution},
        cache_dir=layout.root / runtime.study_cache_dir,
        runs_dir=layout.study_runs(part),
        code=code_fingerprint(entry=entry),
        check=check,
        engine=runtime.study_engine,
        max_parallel=runtime.study_parallel,
        threads_per_task=params.study.threads_per_task,
    )
    return per_training(tasks, committed_results(layout, part, tasks, check))


def training_kind(tasks: Sequence[Task]) -> tuple[Callable[..., dict[str, Any]], Check, str]:
    """The engine's work function for `tasks`, the check of their results and the module whose
    import closure fingerprints them: for single trainings, or for groups of seeds."""
    if all(isinstance(task.spec, SeedGroup) for task in tasks):
        return train_group, group_problem, SEED_GROUP_ENTRY
    return train_task, result_problem, TRAINING_ENTRY


def committed_results(
    layout: Layout, part: str, tasks: Sequence[Task], check: Check = result_problem
) -> list[dict[str, Any]]:
    """The results of `tasks`, in order, from the run folder of `part` alone."""
    results = results_by_label(layout.study_runs(part), check)
    missing = [task.label for task in tasks if task.label not in results]
    if missing:
        raise DataError(f"{layout.study_runs(part)}: no record of {missing[0]}; run the stage")
    return [results[task.label] for task in tasks]


def notebook_figures(layout: Layout) -> dict[str, dict[str, float]]:
    return summary.notebook_figures(
        history.read_reference(layout.notebook_history),
        history.read_printed_results(layout.notebook_results),
    )


def seed_tasks(params: Params, inputs: dict[str, str]) -> list[Task]:
    """Every declared model with each of the study's seeds."""
    return [
        task
        for name, model in params.models.items()
        for task in holdout_tasks(params, name, model, params.study.seeds(), inputs)
    ]


def seeds(layout: Layout, params: Params) -> None:
    arrays, inputs = study_inputs(layout)
    seed_list = params.study.seeds()
    tasks = seed_tasks(params, inputs)
    results = iter(run_study_tasks(layout, params, "seeds", tasks, arrays))
    records = [
        summary.run_record(name, seed, next(results))
        for name in params.models
        for seed in seed_list
    ]
    notebook = notebook_figures(layout)
    metrics, details = summary.seed_study(
        records, notebook, summary.SeedStudySettings.from_params(params)
    )
    accuracies = {
        name: [record["test_accuracy"] for record in records if record["model"] == name]
        for name in params.models
    }
    printed = {
        name: values["test_accuracy"]
        for name, values in notebook.items()
        if "test_accuracy" in values
    }
    picture = figures.seeds_picture(accuracies, printed, params.study.confidence)
    rows_path, picture_path = layout.study_seed_rows, layout.study_picture("seeds")
    metrics_path, details_path = layout.study_metrics("seeds"), layout.study_details("seeds")
    with files.all_or_nothing(details_path, rows_path, picture_path):
        files.write_json(details_path, details)
        files.write_text(rows_path, summary.per_seed_rows(records))
        files.write_bytes(picture_path, picture)
        # Last, so that a failure above leaves the old headline with the old detail.
        headline.write_headline(metrics_path, "seeds", metrics)


def check_folds(one_hot: np.ndarray, folds: int) -> None:
    """Stratified folds need every digit at least once per fold."""
    digits, counts = np.unique(one_hot.argmax(axis=1), return_counts=True)
    if counts.min() < folds:
        raise DataError(
            f"study.crossval.folds = {folds} exceeds the {counts.min()} training images of "
            f"digit {digits[np.argmin(counts)]}; lower the folds or raise split.limit"
        )


def crossval_tasks(params: Params, inputs: dict[str, str]) -> list[Task]:
    """The models of study.crossval, each held out on every fold in turn."""
    settings = params.study.crossval
    return [
        fold_task(params, name, fold, inputs)
        for name in settings.models
        for fold in range(settings.folds)
    ]


def crossval(layout: Layout, params: Params) -> None:
    arrays, inputs = study_inputs(layout)
    settings = params.study.crossval
    check_folds(arrays["pool_one_hot"], settings.folds)
    tasks = crossval_tasks(params, inputs)
    results = iter(run_study_tasks(layout, params, "crossval", tasks, arrays))
    scores = {
        name: [next(results)["history"][-1]["val_accuracy"] for _ in range(settings.folds)]
        for name in settings.models
    }
    pool = len(arrays["pool_images"])
    metrics, details = summary.crossval_study(
        scores, pool // settings.folds, pool - pool // settings.folds, params.study.confidence
    )
    metrics_path, details_path = layout.study_metrics("crossval"), layout.study_details("crossval")
    with files.all_or_nothing(details_path):
        files.write_json(details_path, details)
        headline.write_headline(metrics_path, "crossval", metrics)


def with_l2(model: ModelParams, factor: float) -> ModelParams:
    """`model` with its one L2-regularised layer's factor replaced."""
    layers = tuple(
        dataclasses.replace(layer, l2=factor)
        if isinstance(layer, Conv2D | Dense) and layer.l2 > 0
        else layer
        for layer in model.layers
    )
    return dataclasses.replace(model, layers=layers)


def declared_l2(model: ModelParams) -> float:
    return next(
        layer.l2 for layer in model.layers if isinstance(layer, Conv2D | Dense) and layer.l2 > 0
    )


def l2_candidates(params: Params) -> list[float]:
    """The L2 factors the fit tries: the declared one is always a candidate, as the fit is
    judged against it."""
    fit = params.study.l2_fit
    return sorted({*fit.factors, declared_l2(params.model(fit.model))})


def l2_fit_tasks(params: Params, inputs: dict[str, str]) -> list[Task]:
    """study.l2_fit.model with each candidate factor and each of the fit's seeds."""
    fit = params.study.l2_fit
    model = params.model(fit.model)
    seed_list = params.study.seeds()[: fit.replicates]
    return [
        task
        for factor in l2_candidates(params)
        for task in holdout_tasks(
            params, fit.model, with_l2(model, factor), seed_list, inputs, f"l2={factor}"
        )
    ]


def l2_fit(layout: Layout, params: Params) -> None:
    arrays, inputs = study_inputs(layout)
    fit = params.study.l2_fit
    model = params.model(fit.model)
    seed_list = params.study.seeds()[: fit.replicates]
    factors = l2_candidates(params)
    tasks = l2_fit_tasks(params, inputs)
    results = iter(run_study_tasks(layout, params, "l2_fit", tasks, arrays))
    histories = {factor: [next(results)["history"] for _ in seed_list] for factor in factors}
    notebook = history.read_reference(layout.notebook_history)[fit.model]
    metrics, details = summary.l2_fit_study(
        {factor: summary.curve_errors(runs, notebook) for factor, runs in histories.items()},
        declared_l2(model),
    )
    curves = {f"l2 = {factor}": summary.mean_curves(runs) for factor, runs in histories.items()}
    picture_path, details_path = layout.study_picture("l2_fit"), layout.study_details("l2_fit")
    with files.all_or_nothing(details_path, picture_path):
        with files.atomic_directory(layout.study_l2_curves_dir) as staging:
            for factor, runs in histories.items():
                text = history.beside_reference(summary.mean_curves(runs), notebook)
                files.write_text(staging / f"l2_{factor}.csv", text)
        files.write_json(details_path, details)
        files.write_bytes(picture_path, figures.l2_fit_picture(curves, notebook, fit.model))
        headline.write_headline(layout.study_metrics("l2_fit"), "l2_fit", metrics)


def report(layout: Layout, params: Params) -> None:
    text = render_study_report(
        seeds=files.read_json(layout.study_details("seeds")),
        crossval=files.read_json(layout.study_details("crossval")),
        l2_fit=files.read_json(layout.study_details("l2_fit")),
        single_run=files.read_json(layout.evaluate_metrics),
        params=params,
    )
    files.write_text(layout.study_report, text)


PARTS_OF_THE_STUDY = {"seeds": seeds, "crossval": crossval, "l2_fit": l2_fit, "report": report}
# Each training part's trainings, in the order its stage runs them.
PLANNED_TASKS = {"seeds": seed_tasks, "crossval": crossval_tasks, "l2_fit": l2_fit_tasks}
