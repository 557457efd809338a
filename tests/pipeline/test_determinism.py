"""Same params, same bytes: forcing every stage to run again reproduces every metrics file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import make_pipeline_repo, run

pytestmark = pytest.mark.slow

# The data folders whose DVC hashes must repeat too (models are zip files that Keras stamps
# with the time of saving, so their bytes differ while their weights do not).
DATA_OUTPUTS = ("data/raw", "data/split", "data/prepared")


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


def data_hashes(repo: Path) -> dict[str, str]:
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return {
        out["path"]: out["md5"]
        for stage in lock["stages"].values()
        for out in stage.get("outs", [])
        if out["path"] in DATA_OUTPUTS
    }


def forced_repro(repo: Path) -> int:
    """`dvc repro -f --no-run-cache`: every stage runs, nothing is restored from a cache."""
    result = run(["dvc", "repro", "-f", "--no-run-cache"], repo)
    return sum(line.startswith("Running stage") for line in result.stdout.splitlines())


def test_forced_repro_twice_gives_byte_identical_metrics(tmp_path, small_params):
    for model in small_params["models"].values():
        model["epochs"] = 2
    repo = make_pipeline_repo(tmp_path / "repo", small_params)

    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    assert forced_repro(repo) == len(stages)
    first_results, first_hashes = results(repo), data_hashes(repo)
    assert forced_repro(repo) == len(stages)

    models = len(small_params["models"])
    # Per model: metrics, summary, history, confusion data, misclassified grid, curves picture;
    # then evaluate.json, crossval.json, report.md and the all-models curves picture.
    assert len(first_results) == 6 * models + 4
    assert results(repo) == first_results
    assert sorted(first_hashes) == sorted(DATA_OUTPUTS)
    assert data_hashes(repo) == first_hashes
