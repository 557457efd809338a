"""How far the study is, read from the records on disk; trains and writes nothing.

Usage: python -m tools.study_progress    (or: make study-progress)

For each training part of study/dvc.yaml (seeds, crossval, l2_fit): how many of its planned
trainings have a record made by the code now on the training path, which are left, and about
how long they would take at the median time of each model's records. Needs the prepared data
(its hashes are part of every task key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mnist_cnn.cli import guarded
from mnist_cnn.errors import DataError
from mnist_cnn.layout import PARTS, Layout
from mnist_cnn.params import Params, load_params
from mnist_cnn.quiet import quiet_tensorflow
from mnist_cnn.study import progress
from mnist_cnn.study.fingerprint import code_fingerprint
from mnist_cnn.study.runs import Check


def study_progress(layout: Layout, params: Params) -> list[str]:
    """The lines `make study-progress` prints."""
    # Here, not at the top: it loads TensorFlow, after quiet_tensorflow's filter.
    from mnist_cnn.pipeline.study import PLANNED_TASKS, input_hashes, training_kind

    for part in PARTS:
        if not layout.prepared_part(part).is_file():
            raise DataError(
                f"{layout.prepared_part(part)}: not found; the study's task keys hash the "
                "prepared data, so run `dvc repro preprocess` first"
            )
    inputs = input_hashes(layout)
    # Where the stages look: this machine's cache, then the committed run folders; a training
    # two parts share (same key) counts as recorded for both.
    folders = [
        layout.root / params.runtime.study_cache_dir,
        *(layout.study_runs(part) for part in PLANNED_TASKS),
    ]
    parts = []
    # Parts of one kind (single trainings, or groups of seeds) read the folders once.
    read: dict[Check, dict[str, dict[str, Any]]] = {}
    groups: dict[str, str] = {}
    for part, plan in PLANNED_TASKS.items():
        tasks = plan(params, inputs)
        _, check, entry = training_kind(tasks)
        if check not in read:
            read[check] = progress.usable_records(folders, check)
        found = read[check]
        parts.append(progress.part_progress(part, tasks, found, code_fingerprint(entry=entry)))
        groups.update({task.key: task.group for task in tasks})
    records = [record for found in read.values() for record in found.values()]
    runtime = params.runtime
    parallel = runtime.study_parallel if runtime.study_engine == "ray" else 1
    medians = progress.seconds_per_group(records, groups)
    return progress.progress_lines(parts, medians, parallel)


def main() -> None:
    quiet_tensorflow()

    def action() -> None:
        layout = Layout(Path("."))
        for line in study_progress(layout, load_params(layout.params_file)):
            print(f"study-progress: {line}")

    guarded(action)


if __name__ == "__main__":
    main()
