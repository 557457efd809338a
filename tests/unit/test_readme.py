"""The README's numbers are generated from the committed metrics, never typed in."""

from __future__ import annotations

from mnist_cnn.layout import Layout
from mnist_cnn.study.readme import BEGIN, END, current_block, single_run_block, with_block
from tests.helpers import REPO_ROOT


def test_the_readme_results_block_is_what_the_committed_metrics_give():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    assert current_block(Layout(REPO_ROOT)) in readme, "run `make readme` after new metrics"


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
