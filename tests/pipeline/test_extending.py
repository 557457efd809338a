"""The README's recipes, done the way a user would: through params.yaml, dvc.yaml and dvc."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

from tests.helpers import edit_params, ran_stages, run

pytestmark = pytest.mark.slow


def add_model(repo: Path, name: str, like: str) -> None:
    """The two-file recipe: a params.yaml entry, and a copy of a training stage block."""
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["models"][name] = copy.deepcopy(params["models"][like])
    params["models"][name]["layers"][-2]["units"] = 32
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    text = (repo / "dvc.yaml").read_text()
    block = re.search(rf"\n  train_{like}:\n(?:    .*\n|      .*\n)+", text)
    assert block is not None, f"no train_{like} block in dvc.yaml"
    copied = block.group(0).replace(f"train_{like}", f"train_{name}")
    copied = re.sub(rf"\b{like}\b", name, copied)
    (repo / "dvc.yaml").write_text(text.replace(block.group(0), block.group(0) + copied, 1))


def test_a_new_model_is_one_params_entry_and_one_copied_stage_block(reproduced_repo):
    add_model(reproduced_repo, "B_narrow", like="B")

    rerun = run(["dvc", "repro"], reproduced_repo)

    assert "train_B_narrow" in ran_stages(rerun.stdout)
    assert "train_B" not in ran_stages(rerun.stdout)
    evaluation = json.loads((reproduced_repo / "metrics/evaluate.json").read_text())
    assert "B_narrow" in evaluation and "B_vs_B_narrow" in evaluation["pairs"]
    report = (reproduced_repo / "report.md").read_text()
    assert "| B_narrow | 42,330 |" in report
    assert (reproduced_repo / "plots/curves/model_B_narrow.png").is_file()
    assert (reproduced_repo / "plots/confusion/B_narrow.csv").is_file()
    shown = json.loads(run(["dvc", "plots", "show", "--json"], reproduced_repo).stdout)["data"]
    assert "plots/history/B_narrow.csv" in shown


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

    assert "train_B" in ran_stages(forced.stdout)
    assert metrics_files(reproduced_repo) == before
