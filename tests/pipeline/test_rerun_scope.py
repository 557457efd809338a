"""DVC re-runs only what a change touches: an evaluate param re-runs evaluate alone (after the
params check, which runs on every change to params.yaml and leaves its marker unchanged)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import ran_stages, run

pytestmark = pytest.mark.slow


def test_changing_an_evaluate_param_reruns_only_evaluate(pipeline_repo: Path) -> None:
    run(["dvc", "repro"], pipeline_repo)
    unchanged = run(["dvc", "repro"], pipeline_repo)
    assert ran_stages(unchanged.stdout) == []

    params = yaml.safe_load((pipeline_repo / "params.yaml").read_text())
    params["evaluate"]["confidence"] = 0.9
    (pipeline_repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    rerun = run(["dvc", "repro"], pipeline_repo)
    assert ran_stages(rerun.stdout) == ["check_params", "evaluate"]
