"""The study as DVC runs it: its own pipeline, never started by a plain `dvc repro`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from mnist_cnn.study import headline
from mnist_cnn.study.runs import json_files
from tests.helpers import (
    command_environment,
    load_repo_params,
    make_pipeline_repo,
    ran_stages,
    run,
    shrink_params,
)
from tests.mnist_fixtures import write_idx_set

pytestmark = pytest.mark.slow

STUDY_STAGES = [
    "study/dvc.yaml:crossval",
    "study/dvc.yaml:l2_fit",
    "study/dvc.yaml:report",
    "study/dvc.yaml:seeds",
]


@pytest.fixture
def study_repo(tmp_path):
    """A pipeline repository on tiny data whose study runs in process: 2 seeds, 2 folds."""
    mirror = tmp_path / "mirror"
    params = shrink_params(load_repo_params(), mirror, write_idx_set(mirror))
    params["study"].update(replicates=2)
    params["study"]["crossval"].update(folds=2)
    params["study"]["l2_fit"].update(factors=[0.001, 0.002], replicates=1)
    params["runtime"]["study_engine"] = "in_process"
    return make_pipeline_repo(tmp_path / "repo", params)


def test_plain_repro_leaves_the_study_alone_and_study_repro_runs_it_once(study_repo):
    pipeline = run(["dvc", "repro"], study_repo)
    assert not [stage for stage in ran_stages(pipeline.stdout) if stage.startswith("study")]
    assert not (study_repo / "study/metrics").exists()

    study = run(["dvc", "repro", "study/dvc.yaml"], study_repo)
    assert ran_stages(study.stdout) == STUDY_STAGES
    again = run(["dvc", "repro", "study/dvc.yaml"], study_repo)
    assert ran_stages(again.stdout) == []

    shown = json.loads(run(["dvc", "metrics", "show", "--json"], study_repo).stdout)
    metrics = next(iter(shown.values()))["data"]
    assert set(metrics["study/metrics/seeds/B.json"]["data"]) == {"mean", "sd"}
    assert "p_holm" in metrics["study/metrics/seeds/A_vs_B.json"]["data"]
    crossval = metrics["study/metrics/crossval/A_vs_B.json"]["data"]
    assert set(crossval) == {"difference", "low", "high", "p"}
    details = json.loads((study_repo / "study/reports/seeds.json").read_text())
    assert details["models"]["B"]["test_accuracy"]["n"] == 2
    assert details["family"] == ["A_vs_B", "B_vs_B_adj", "B_adj_vs_B_adj2", "B_vs_B_gap"]
    # Every training recorded which test images it got right, so the declared comparisons'
    # intervals cover the draw of the test images as well as the seeds (the term itself may
    # estimate to 0 on a few tiny images, where the models agree on nearly all of them).
    for comparison in details["declared"].values():
        assert comparison["scope"] == "seeds and test images"
        assert comparison["image_variance"] >= 0
    plots = json.loads(run(["dvc", "plots", "show", "--json"], study_repo).stdout)["data"]
    strip = plots["study/plots/seeds.csv"][0]["content"]
    assert strip["encoding"]["x"]["type"] == "nominal"  # the project's strip template
    assert len(strip["data"]["values"]) == 2 * len(load_repo_params()["models"])
    assert "study/plots/pictures/seeds.png" in plots
    report = (study_repo / "study/report.md").read_text()
    assert "## Across seeds" in report and "## Across folds" in report


def test_a_killed_study_resumes_without_training_finished_tasks_again(study_repo):
    run(["dvc", "repro", "preprocess"], study_repo)
    cache = study_repo / ".study_cache"
    command = ["dvc", "repro", "study/dvc.yaml:seeds"]
    first = subprocess.Popen(
        command,
        cwd=study_repo,
        env=command_environment(study_repo),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600
    while not json_files(cache) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(first.pid, signal.SIGKILL)  # dvc and the stage under it, as a closed laptop would
    first.wait()
    finished = len(json_files(cache))
    assert 1 <= finished < 10, "the kill must land between the first and the last training"
    progress = ["python", "-m", "tools.study_progress"]
    assert (
        f"seeds: {finished} of 10 trainings recorded by this code;"
        in run(progress, study_repo).stdout
    )

    again = run(command, study_repo)
    assert f"study: {finished} of 10 from stored results" in again.stderr
    assert again.stderr.count(" done (") == 10 - finished
    assert (
        "seeds: 10 of 10 trainings recorded by this code; left: none"
        in run(progress, study_repo).stdout
    )
    details = json.loads((study_repo / "study/reports/seeds.json").read_text())
    assert details["models"]["B"]["test_accuracy"]["n"] == 2


def repro_seeds(repo) -> subprocess.CompletedProcess[str]:
    return run(["dvc", "repro", "study/dvc.yaml:seeds"], repo)


def trainings(stage_run: subprocess.CompletedProcess[str]) -> int:
    return stage_run.stderr.count(" done (")


def recorded_codes(repo) -> set[str]:
    return {json.loads(path.read_text())["code"] for path in (repo / "study/runs/seeds").glob("*")}


def test_results_are_bound_to_the_code_on_the_training_path(study_repo):
    """A comment costs one training per model; a change of results retrains everything; and
    the committed run records alone recompute the metrics, training nothing."""
    models = len(load_repo_params()["models"])
    first = repro_seeds(study_repo)
    assert trainings(first) == 2 * models
    metrics_path = study_repo / "study/metrics/seeds"
    metrics = headline.read_headline(metrics_path)
    assert len(list((study_repo / "study/runs/seeds").glob("*.json"))) == 2 * models

    # Recomputed from the committed records alone: no local cache, nothing trained.
    shutil.rmtree(study_repo / ".study_cache")
    again = run(["dvc", "repro", "-f", "study/dvc.yaml:seeds"], study_repo)
    assert f"study: {2 * models} of {2 * models} from stored results" in again.stderr
    assert trainings(again) == 0
    assert headline.read_headline(metrics_path) == metrics

    loop = study_repo / "mnist_cnn/training/loop.py"
    loop.write_text(loop.read_text() + "# A comment changes no result.\n")
    assert "seeds" in run(["dvc", "status", "study/dvc.yaml"], study_repo).stdout
    comment = repro_seeds(study_repo)
    assert f"retraining {models} (one per model)" in comment.stderr
    assert f"all {models} came out byte for byte the same" in comment.stderr
    assert trainings(comment) == models
    assert headline.read_headline(metrics_path) == metrics
    (code_after_comment,) = recorded_codes(study_repo)

    loop.write_text(
        loop.read_text().replace(
            'loss="categorical_crossentropy"',
            "loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.9)",
        )
    )
    assert "seeds" in run(["dvc", "status", "study/dvc.yaml"], study_repo).stdout
    changed = repro_seeds(study_repo)
    assert "came out different from its stored result" in changed.stderr
    assert trainings(changed) == 2 * models
    assert headline.read_headline(metrics_path) != metrics
    assert recorded_codes(study_repo) - {code_after_comment} == recorded_codes(study_repo)
