"""Many seeds of one model as one study task: the compiled engine's vmapped program.

With `train.engine: compiled_epoch` the study trains all seeds of a model (or of one L2
factor) together (mnist_cnn/training/many_seeds.py), so a process pays one start-up and one
compilation for all of them, and the engine spreads the groups over Ray's workers or machines.
A group's record holds, seed by seed, what `tasks.train_task` records for one holdout training.
A seed trained in a group agrees with the same seed trained alone to float32 rounding, not bit
for bit, so a group has a key of its own: its results are never taken for single trainings'.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras

from mnist_cnn.errors import DataError
from mnist_cnn.params import ModelParams, Params
from mnist_cnn.study.engine import Task, task_key
from mnist_cnn.study.tasks import (
    StudyTraining,
    identity,
    ran_on,
    result_problem,
    software,
    split_part,
    study_job,
    test_scores,
    trained_result,
)
from mnist_cnn.training.runtime import set_up_runtime


@dataclass(frozen=True)
class SeedGroup:
    """`training` (the job of the first seed) once per seed of `seeds`, in one program."""

    training: StudyTraining
    seeds: tuple[int, ...]


def group_task(
    params: Params,
    name: str,
    seeds: Sequence[int],
    inputs: Mapping[str, str],
    model: ModelParams,
    variant: str = "",
) -> Task:
    """Train `model` (declared as `name`, or a `variant` of it) with every seed of `seeds` on the
    notebook's split, in one program; score each on the test images."""
    job = study_job(params, name, model, seeds[0])
    training = StudyTraining(job=job, fold=None, test_batch_size=params.evaluate.batch_size)
    spec = SeedGroup(training=training, seeds=tuple(seeds))
    key = task_key({"seed_group": identity(spec), "software": software()}, inputs)
    label = f"{name}{f' {variant}' if variant else ''} seeds {seeds[0]}-{seeds[-1]}"
    return Task(label=label, spec=spec, key=key, group=name)


def train_group(spec: SeedGroup, shared: Mapping[str, Any], threads: int) -> dict[str, Any]:
    """The engine's work function for a group: one result per seed, in the order of `seeds`."""
    # JAX only: imported when a group trains, so a TensorFlow-only install can import this module.
    from mnist_cnn.training.many_seeds import train_seeds

    job = spec.training.job
    job = dataclasses.replace(job, settings=dataclasses.replace(job.settings, threads=threads))
    set_up_runtime(spec.seeds[0], job.settings)
    arrays = shared["arrays"]
    train, val = split_part(arrays, "train"), split_part(arrays, "val")
    results = []
    for trained in train_seeds(job, spec.seeds, train=train, val=val):
        result = trained_result(trained.model, trained.history, train, val)
        result["test"] = test_scores(trained.model, arrays, spec.training.test_batch_size)
        results.append(result)
    keras.backend.clear_session()
    return {"seeds": results, "ran_on": ran_on()}


def group_problem(result: Mapping[str, Any]) -> str | None:
    """Why a stored group result is not one `train_group` could have returned, or None."""
    seeds = result.get("seeds")
    if not isinstance(seeds, list) or not seeds or set(result) != {"seeds"}:
        return "it does not hold exactly a non-empty list of per-seed results under 'seeds'"
    for number, seed_result in enumerate(seeds, start=1):
        if not isinstance(seed_result, dict):
            return f"seed result {number} is not a mapping"
        if "test" not in seed_result:
            return f"seed result {number} has no test scores"
        problem = result_problem(seed_result)
        if problem:
            return f"seed result {number}: {problem}"
    return None


def per_training(tasks: Sequence[Task], results: Sequence[Mapping[str, Any]]) -> list[Any]:
    """One result per training, in task order: a group's seeds in their order (a group record
    with another number of seeds than its task declares is a DataError)."""
    trainings: list[Any] = []
    for task, result in zip(tasks, results, strict=True):
        if not isinstance(task.spec, SeedGroup):
            trainings.append(result)
            continue
        if len(result["seeds"]) != len(task.spec.seeds):
            raise DataError(
                f"{task.label}: {len(result['seeds'])} seed results for "
                f"{len(task.spec.seeds)} seeds"
            )
        trainings.extend(result["seeds"])
    return trainings
