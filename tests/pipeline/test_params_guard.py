"""A params typo stops `dvc repro` before DVC deletes any output (the check_params stage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import edit_params, ran_stages, run

pytestmark = pytest.mark.slow


def every_output(repo: Path) -> dict[str, bytes]:
    """Every file the pipeline wrote that git or DVC tracks, by path."""
    folders = ("metrics", "plots", "data/models", "dvclive")
    found = {
        str(path.relative_to(repo)): path.read_bytes()
        for folder in folders
        for path in (repo / folder).rglob("*")
        if path.is_file()
    }
    return {**found, "report.md": (repo / "report.md").read_bytes()}


def test_an_out_of_range_evaluate_param_leaves_every_output_in_place(reproduced_repo):
    before = every_output(reproduced_repo)
    edit_params(reproduced_repo, ("evaluate.significance", 2))

    failed = run(["dvc", "repro"], reproduced_repo, check=False)

    assert failed.returncode != 0
    assert "error: evaluate.significance = 2.0 is out of range; allowed: (0, 1)" in failed.stderr
    assert ran_stages(failed.stdout) == ["check_params"]
    assert every_output(reproduced_repo) == before


def test_a_bad_value_set_by_dvc_exp_run_leaves_every_output_in_place(reproduced_repo):
    before = every_output(reproduced_repo)

    failed = run(["dvc", "exp", "run", "-S", "train.batch_size=0"], reproduced_repo, check=False)

    assert failed.returncode != 0
    assert "error: train.batch_size = 0 is out of range; allowed: [1, 65536]" in failed.stderr
    assert every_output(reproduced_repo) == before
