"""The README's numbers are generated from the committed metrics, never typed in.

The check reads the last commit, not the working copy: an experiment (`dvc exp run`) rewrites
the metrics in place, and the fast tests must still pass after one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mnist_cnn.layout import Layout
from mnist_cnn.study.readme import BEGIN, END, current_block, single_run_block, with_block
from tests.helpers import REPO_ROOT, committed_tree, run

# Where the pipelines write the metrics files an experiment rewrites.
METRICS_FOLDERS = ("metrics", "study/metrics")


def committed_readme_and_block(repository: Path, scratch: Path) -> tuple[str, str]:
    """The README of `repository`'s last commit, and the block its committed metrics give."""
    tree = committed_tree(repository, scratch)
    return (tree / "README.md").read_text(encoding="utf-8"), current_block(Layout(tree))


def test_the_readme_results_block_is_what_the_committed_metrics_give(tmp_path):
    readme, block = committed_readme_and_block(REPO_ROOT, tmp_path)
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    assert block in readme, "run `make readme` after new metrics, and commit both"


def scaled_floats(value: Any) -> Any:
    """Every float in a JSON value a little smaller: another run's numbers, same shape."""
    if isinstance(value, dict):
        return {key: scaled_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scaled_floats(item) for item in value]
    return value * 0.99 if isinstance(value, float) else value


def test_an_experiment_in_the_working_copy_leaves_the_check_passing(tmp_path):
    """A repository holding the last commit, whose working copy then gets other metrics (what
    `dvc exp run` does): the working copy's block differs from the README, the check passes."""
    repository = committed_tree(REPO_ROOT, tmp_path / "repository")
    run(["git", "init", "-q"], repository)
    run(["git", "add", "-A"], repository)
    run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "c"],
        repository,
    )
    for folder in METRICS_FOLDERS:
        for path in (repository / folder).rglob("*.json"):
            path.write_text(json.dumps(scaled_floats(json.loads(path.read_text()))))
    readme = (repository / "README.md").read_text(encoding="utf-8")
    assert current_block(Layout(repository)) not in readme
    committed_readme, block = committed_readme_and_block(repository, tmp_path / "committed")
    assert committed_readme == readme and block in readme


def test_only_the_block_is_rewritten():
    readme = f"before\n{BEGIN}\nold numbers\n{END}\nafter\n"
    assert with_block(readme, f"{BEGIN}\nnew\n{END}") == f"before\n{BEGIN}\nnew\n{END}\nafter\n"


def test_the_readme_is_a_front_door_of_about_150_lines():
    lines = (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    assert max(len(line) for line in lines if not line.startswith("|")) <= 100


def test_before_the_seed_study_the_block_shows_the_single_run_and_how_to_get_more():
    training = {"A": {"num_params": 101578}}
    single_run = {"A": {"test": {"accuracy": 0.9893, "accuracy_ci": {"low": 0.987, "high": 0.991}}}}
    block = single_run_block(training, single_run)
    assert block.startswith(BEGIN) and block.endswith(END)
    assert "| A | 101,578 | 0.9893 [0.9870, 0.9910] |" in block
    assert "dvc repro study/dvc.yaml:seeds" in block
