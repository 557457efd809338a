"""The study's seed part on the compiled engine, each model's seeds in one program.

Run in a child process with KERAS_BACKEND=jax (tests/study/test_seed_groups.py asserts on what
it prints, one JSON object): the real pipeline step on a tiny workspace, then every grouped seed
trained alone by the compiled engine for comparison, then the step again.
Usage: python -m tests.study.group_scenario FOLDER
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

from mnist_cnn.pipeline import download, preprocess, split, study
from mnist_cnn.study.runs import results_by_label
from mnist_cnn.study.seed_groups import group_problem
from mnist_cnn.study.tasks import split_part, study_job
from mnist_cnn.training.compiled_epoch import train_model_compiled
from tests.helpers import workspace
from tests.study.tiny_study import tiny_study_params


def main(folder: Path) -> dict:
    raw = tiny_study_params(folder / "mirror", "in_process")
    raw["train"]["engine"] = "compiled_epoch"
    layout, params = workspace(folder / "workspace", raw)
    for step in (download, split, preprocess):
        step.run(layout, params)
    study.seeds(layout, params)
    grouped = results_by_label(layout.study_runs("seeds"), group_problem)
    arrays, _ = study.study_inputs(layout)
    train, val = split_part(arrays, "train"), split_part(arrays, "val")
    alone = {
        name: [
            train_model_compiled(
                study_job(params, name, params.model(name), seed), train=train, val=val
            ).history
            for seed in params.study.seeds()
        ]
        for name in params.models
    }
    again = io.StringIO()
    with contextlib.redirect_stderr(again):
        study.seeds(layout, params)
    return {
        "grouped": grouped,
        "alone": alone,
        "seeds": params.study.seeds(),
        "headline": (layout.study_metrics("seeds")).is_dir(),
        "second_run": again.getvalue(),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
