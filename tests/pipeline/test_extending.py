"""The README's recipes, done the way a user would: through params.yaml, dvc.yaml and dvc."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import edit_params, ran_stages, run

pytestmark = pytest.mark.slow


def add_model(repo: Path, name: str, like: str) -> None:
    """The README's recipe: one params.yaml entry (B's layers with a narrower Dense layer)."""
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["models"][name] = copy.deepcopy(params["models"][like])
    params["models"][name]["layers"]["hidden"]["units"] = 32
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def test_a_new_model_is_one_params_entry(reproduced_repo):
    dvc_yaml = (reproduced_repo / "dvc.yaml").read_bytes()
    add_model(reproduced_repo, "B_narrow", like="B")

    rerun = run(["dvc", "repro"], reproduced_repo)

    assert (reproduced_repo / "dvc.yaml").read_bytes() == dvc_yaml
    assert "train@B_narrow" in ran_stages(rerun.stdout)
    assert "train@B" not in ran_stages(rerun.stdout)
    evaluation = json.loads((reproduced_repo / "metrics/evaluate.json").read_text())
    assert "B_narrow" in evaluation and "B_vs_B_narrow" in evaluation["pairs"]
    headline = json.loads((reproduced_repo / "metrics/models/B_narrow.json").read_text())
    assert headline["params"] == 42330
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], reproduced_repo).stdout)
    assert "metrics/models/B_narrow.json" in shown[""]["data"]
    report = (reproduced_repo / "report.md").read_text()
    assert "| B_narrow | 42,330 |" in report
    assert (reproduced_repo / "plots/curves/model_B_narrow.png").is_file()
    assert (reproduced_repo / "plots/confusion/B_narrow.csv").is_file()
    plots = json.loads(run(["dvc", "plots", "show", "--json"], reproduced_repo).stdout)["data"]
    assert "plots/history/B_narrow.csv" in plots


def metrics_files(repo: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(repo)): path.read_bytes()
        for path in sorted((repo / "metrics").rglob("*.json"))
    }


def test_a_runtime_setting_retrains_nothing_and_changes_no_metric(reproduced_repo):
    before = metrics_files(reproduced_repo)
    edit_params(
        reproduced_repo, ("runtime.steps_per_execution", 4), ("runtime.resume_dir", ".elsewhere")
    )

    assert ran_stages(run(["dvc", "repro"], reproduced_repo).stdout) == ["check_params"]
    # Forced, every stage runs again under the new settings; the numbers stay the same bytes.
    forced = run(["dvc", "repro", "--force"], reproduced_repo)

    assert "train@B" in ran_stages(forced.stdout)
    assert metrics_files(reproduced_repo) == before
