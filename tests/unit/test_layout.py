"""dvc.yaml and mnist_cnn/layout.py name the same paths, and every model has its stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mnist_cnn.layout import Layout
from tests.helpers import REPO_ROOT, declared_models

LAYOUT = Layout(Path("."))


def stages(pipeline: str = "dvc.yaml") -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / pipeline).read_text(encoding="utf-8"))["stages"]


def declared(stage: dict[str, Any], kind: str) -> set[str]:
    """The paths a stage lists under `kind` (outs, metrics, deps), options dropped."""
    entries = stage.get(kind, [])
    return {entry if isinstance(entry, str) else next(iter(entry)) for entry in entries}


def as_text(*paths: Path) -> set[str]:
    return {str(path) for path in paths}


def training_stage(model: str) -> dict[str, Any]:
    """The `train` stage as DVC expands it for one model (`train@<model>`)."""
    template = yaml.safe_dump(stages()["train"]["do"])
    return yaml.safe_load(template.replace("${key}", model))


def test_one_training_stage_runs_over_every_declared_model():
    assert stages()["train"]["foreach"] == "${models}"
    assert not [name for name in stages() if name.startswith("train") and name != "train"]


@pytest.mark.parametrize("model", declared_models())
def test_a_training_stage_writes_where_the_layout_says(model):
    stage = training_stage(model)
    assert stage["cmd"] == f"python -m stages.train {model}"
    assert declared(stage, "outs") == as_text(
        LAYOUT.model_file(model),
        LAYOUT.live_dir(model),
        LAYOUT.train_metrics(model),
        LAYOUT.summary(model),
        LAYOUT.history(model),
    )
    assert f"models.{model}" in stage["params"]
    assert str(LAYOUT.prepared_dir) in declared(stage, "deps")


def test_every_other_stage_waits_for_the_params_check():
    every = stages()
    assert declared(every["check_params"], "outs") == as_text(LAYOUT.params_checked)
    assert "params.yaml" in declared(every["check_params"], "deps")
    others = {name: stage for name, stage in every.items() if name not in ("check_params", "train")}
    others["train@A"] = training_stage("A")
    assert all(str(LAYOUT.params_checked) in declared(stage, "deps") for stage in others.values())


def test_data_stages_write_where_the_layout_says():
    every = stages()
    assert declared(every["download"], "outs") == as_text(LAYOUT.raw_dir)
    assert declared(every["split"], "outs") == as_text(LAYOUT.split_dir)
    assert declared(every["preprocess"], "outs") == as_text(LAYOUT.prepared_dir)


def test_stages_over_every_model_read_whole_folders_and_write_where_the_layout_says():
    every = stages()
    evaluate, curves = every["evaluate"], every["curves"]
    assert as_text(LAYOUT.models_dir, LAYOUT.train_metrics_dir, LAYOUT.history_dir) <= declared(
        evaluate, "deps"
    )
    assert declared(evaluate, "outs") == as_text(
        LAYOUT.evaluate_metrics,
        LAYOUT.report,
        LAYOUT.confusion("A").parent,
        LAYOUT.misclassified("A").parent,
    )
    assert declared(evaluate, "metrics") == as_text(LAYOUT.headline_dir)
    assert LAYOUT.headline("A").parent == LAYOUT.headline_dir
    assert as_text(LAYOUT.history_dir, LAYOUT.notebook_history) <= declared(curves, "deps")
    assert declared(curves, "outs") == as_text(
        LAYOUT.curves_dir, LAYOUT.diagrams_dir, LAYOUT.fidelity_dir
    )


def test_every_plot_folder_is_an_output_of_some_stage():
    plots = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["plots"]
    folders = {entry if isinstance(entry, str) else next(iter(entry)) for entry in plots}
    every = {**stages(), "train@A": training_stage("A")}
    written = set().union(*(declared(stage, "outs") for stage in every.values()))
    written |= {str(Path(path).parent) for path in written}
    assert folders <= written


def test_the_study_writes_where_the_layout_says_from_the_repository_root():
    study = stages("study/dvc.yaml")
    assert all(stage["wdir"] == ".." for stage in study.values())
    assert declared(study["seeds"], "metrics") == as_text(LAYOUT.study_metrics("seeds"))
    assert declared(study["seeds"], "outs") == as_text(
        LAYOUT.study_runs("seeds"),
        LAYOUT.study_details("seeds"),
        LAYOUT.study_seed_rows,
        LAYOUT.study_picture("seeds"),
    )
    assert declared(study["crossval"], "metrics") == as_text(LAYOUT.study_metrics("crossval"))
    assert declared(study["crossval"], "outs") == as_text(
        LAYOUT.study_runs("crossval"), LAYOUT.study_details("crossval")
    )
    assert declared(study["l2_fit"], "metrics") == as_text(LAYOUT.study_metrics("l2_fit"))
    assert declared(study["l2_fit"], "outs") == as_text(
        LAYOUT.study_runs("l2_fit"),
        LAYOUT.study_details("l2_fit"),
        LAYOUT.study_l2_curves_dir,
        LAYOUT.study_picture("l2_fit"),
    )
    assert declared(study["report"], "outs") == as_text(LAYOUT.study_report)
    for name in ("seeds", "crossval", "l2_fit"):
        assert str(LAYOUT.prepared_dir) in declared(study[name], "deps")
        assert str(LAYOUT.params_checked) in declared(study[name], "deps")
