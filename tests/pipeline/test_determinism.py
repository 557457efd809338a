"""Same params, same bytes: forcing every stage to run again reproduces every output, models
included, so reproducing leaves dvc.lock and git status unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import make_pipeline_repo, notebook_models, run

pytestmark = pytest.mark.slow

# Models the notebook trained, each with an ours-beside-the-notebook CSV (plots/fidelity).
NOTEBOOK_MODELS = notebook_models()


def results(repo: Path) -> dict[str, bytes]:
    """Every committed result file: metrics, training curves, summaries and the report."""
    paths = [
        *repo.glob("metrics/**/*.json"),
        *repo.glob("metrics/**/*.txt"),
        *repo.glob("plots/**/*.csv"),
        *repo.glob("plots/**/*.png"),
        repo / "report.md",
    ]
    return {str(path.relative_to(repo)): path.read_bytes() for path in sorted(paths)}


def forced_repro(repo: Path) -> int:
    """`dvc repro -f --no-run-cache`: every stage runs, nothing is restored from a cache."""
    result = run(["dvc", "repro", "-f", "--no-run-cache"], repo)
    return sum(line.startswith("Running stage") for line in result.stdout.splitlines())


def test_forced_repro_twice_gives_byte_identical_outputs_and_a_clean_git(tmp_path, small_params):
    for model in small_params["models"].values():
        model["epochs"] = 2
    repo = make_pipeline_repo(tmp_path / "repo", small_params)

    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    # The training stage runs once per declared model (train@<model>).
    stage_runs = len(stages) - 1 + len(small_params["models"])
    assert forced_repro(repo) == stage_runs
    first_results = results(repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "first run"], repo)
    assert forced_repro(repo) == stage_runs

    models = small_params["models"]
    # Per model: headline metrics, training metrics, summary, history, confusion data,
    # misclassified grid, curves picture, diagram; per notebook model its fidelity CSV; then
    # evaluate.json, report.md, every_model.png.
    fidelity = len([name for name in models if name in NOTEBOOK_MODELS])
    assert len(first_results) == 8 * len(models) + fidelity + 3
    assert results(repo) == first_results
    # dvc.lock holds every output's hash (data, models, dvclive files): nothing changed.
    assert run(["git", "status", "--porcelain"], repo).stdout == ""
