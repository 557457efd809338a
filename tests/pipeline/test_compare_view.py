"""After a one-parameter experiment, `make compare` and `dvc metrics diff` read as printed.

The width is measured on the table DVC draws for a terminal wider than the table (COLUMNS), so
that nothing is cut to fit: what is measured is the table's own width, which must fit 200.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import command_environment, make_target, run

pytestmark = [pytest.mark.slow, pytest.mark.integration]

TERMINAL = 200


def compare(repo: Path) -> list[str]:
    """The lines `make compare` prints in `repo`, drawn for a 1,000-column terminal."""
    environment = {**command_environment(repo), "COLUMNS": "1000"}
    environment.pop("MAKEFLAGS", None)
    shown = make_target("compare", repo, environment)
    return [line.rstrip() for line in shown.stdout.splitlines() if line.strip()]


def test_compare_fits_a_200_column_terminal_after_a_one_parameter_experiment(reproduced_repo):
    experiment = ["dvc", "exp", "run", "-n", "drop", "-S", "models.B_adj.layers.3.rate=0.3"]
    run(experiment, reproduced_repo)
    lines = compare(reproduced_repo)
    widest = max(len(line) for line in lines)
    assert widest <= TERMINAL, "\n".join(lines)
    header = lines[1].split()
    assert header[:2] == ["Experiment", "Created"]
    assert "metrics/models/B_adj.json:test_accuracy" in header
    # Only B_adj retrained: no other model's numbers, no dependency hashes, no layer list.
    assert all(name.startswith("metrics/models/B_adj.json:") for name in header[2:]), header
    assert any("[drop]" in line for line in lines)
    # The experiment is in the workspace now: what changed against the commit, line by line.
    diff = run(["dvc", "metrics", "diff"], reproduced_repo).stdout.splitlines()
    assert 2 <= len(diff) <= 25 and max(len(line) for line in diff) <= TERMINAL, diff
