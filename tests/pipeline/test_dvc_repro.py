"""The real DVC CLI on the real pipeline, in a temporary git + DVC repository."""

import json

import pytest
import yaml

from tests.helpers import (
    declared_models,
    load_repo_params,
    make_pipeline_repo,
    ran_stages,
    run,
    shrink_params,
)

pytestmark = pytest.mark.slow

MODELS = declared_models()


def test_repro_on_synthetic_data_writes_every_output_and_then_does_nothing(reproduced_repo):
    for name in MODELS:
        metrics = json.loads((reproduced_repo / f"metrics/train/{name}.json").read_text())
        assert set(metrics) >= {"train", "val", "epochs_run", "num_params"}
        assert set(metrics["train"]) >= {"accuracy", "loss"}
        assert (reproduced_repo / f"data/models/{name}.keras").is_file()
        assert (
            (reproduced_repo / f"plots/history/{name}.csv")
            .read_text()
            .startswith("epoch,accuracy,loss,val_accuracy,val_loss\n")
        )
    evaluation = json.loads((reproduced_repo / "metrics/evaluate.json").read_text())
    assert set(evaluation) == {*MODELS, "pairs"}
    assert {"accuracy", "loss"} <= set(evaluation["B"]["test"])
    assert {"train_val", "train_test"} <= set(evaluation["B"]["gap"])
    assert "| B |" in (reproduced_repo / "report.md").read_text()

    second = run(["dvc", "repro"], reproduced_repo)
    assert "Running stage" not in second.stdout
    # The notebook pipeline only: study/dvc.yaml is a second pipeline a plain repro never runs.
    status = run(["dvc", "status", "dvc.yaml"], reproduced_repo)
    assert "up to date" in status.stdout


def test_changing_a_training_param_of_b_reruns_only_what_depends_on_b(reproduced_repo):
    params = yaml.safe_load((reproduced_repo / "params.yaml").read_text())
    params["models"]["B"]["layers"]["hidden"]["units"] = 32
    (reproduced_repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    rerun = run(["dvc", "repro"], reproduced_repo)
    # curves redraws the PNGs from B's new history.
    assert ran_stages(rerun.stdout) == ["check_params", "curves", "evaluate", "train@B"]


def test_metrics_diff_between_branches_shows_the_changed_metrics(reproduced_repo):
    run(["git", "checkout", "-qb", "wider-b"], reproduced_repo)
    params = yaml.safe_load((reproduced_repo / "params.yaml").read_text())
    params["models"]["B"]["layers"]["hidden"]["units"] = 16
    (reproduced_repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["dvc", "repro"], reproduced_repo)
    run(["git", "add", "-A"], reproduced_repo)
    run(["git", "commit", "-qm", "narrower dense layer in B"], reproduced_repo)
    diff = json.loads(run(["dvc", "metrics", "diff", "main", "--json"], reproduced_repo).stdout)
    assert diff["metrics/models/B.json"]["params"] == {
        "old": 68282,
        "new": 68282 - 48 * 800 - 48 - 48 * 10,
        "diff": -(48 * 800 + 48 + 48 * 10),
    }
    assert "test_loss" in diff["metrics/models/B.json"]
    assert "metrics/models/A.json" not in diff
    params_diff = json.loads(
        run(["dvc", "params", "diff", "main", "--json"], reproduced_repo).stdout
    )
    assert params_diff["params.yaml"]


def test_real_mnist_subset_end_to_end(tmp_path, shared_mnist):
    """The shared MNIST copy with split.limit, one epoch each: the path users take, small."""
    params = shrink_params(load_repo_params(), shared_mnist, checksums=None)
    params["split"]["limit"] = 1200
    repo = make_pipeline_repo(tmp_path / "repo", params)
    run(["dvc", "repro"], repo)
    evaluation = json.loads((repo / "metrics/evaluate.json").read_text())
    # 1,080 training images and one epoch already beat chance (10%): every model's interval
    # lies above it. (B_gap, which feeds its Dense layer 32 channel means, learns slowest:
    # measured 21.6% after one such epoch.)
    assert all(evaluation[name]["test"]["accuracy_ci"]["low"] > 0.1 for name in MODELS)
