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


def cell(lines: list[str], column: str, row: str) -> str:
    """The text of `column` in the first line holding `row`, by the header's column span."""
    header = lines[1]
    start = header.index(column)
    end = start + len(column)
    line = next(line for line in lines[2:] if row in line)
    return line[start:end].strip()


def test_compare_fits_a_200_column_terminal_after_a_one_parameter_experiment(reproduced_repo):
    changed = "models.B_adj.layers.drop1.rate"
    experiment = ["dvc", "exp", "run", "-n", "drop", "-S", f"{changed}=0.3"]
    run(experiment, reproduced_repo)
    lines = compare(reproduced_repo)
    widest = max(len(line) for line in lines)
    assert widest <= TERMINAL, "\n".join(lines)
    header = lines[1].split()
    assert header[:2] == ["Experiment", "Created"]
    assert "metrics/models/B_adj.json:test_accuracy" in header
    # Only B_adj retrained: no other model's numbers, no dependency hashes; the changed layer
    # setting is a column of its own, its values the old and the new rate.
    assert changed in header
    metrics = [name for name in header[2:] if name != changed]
    assert all(name.startswith("metrics/models/B_adj.json:") for name in metrics), header
    assert cell(lines, changed, "[drop]") == "0.3", lines
    assert any("[drop]" in line for line in lines)
    # The experiment is in the workspace now: what changed against the commit, line by line.
    diff = run(["dvc", "metrics", "diff"], reproduced_repo).stdout.splitlines()
    assert 2 <= len(diff) <= 25 and max(len(line) for line in diff) <= TERMINAL, diff
