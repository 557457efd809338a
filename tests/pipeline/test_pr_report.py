"""`make pr-report`'s command in a throwaway git + DVC repository with a base and a branch.

No training: each branch commits small params, metrics and plot files of the shapes the
pipeline writes, and the report must show exactly what differs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

from tests.helpers import REPO_ROOT, command_environment, run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_results(repo: Path, dropout: float, accuracy: float, curve: list[float], red: int):
    (repo / "params.yaml").write_text(yaml.safe_dump({"models": {"B": {"dropout": dropout}}}))
    (repo / "metrics").mkdir(exist_ok=True)
    metrics = {"B": {"accuracy": accuracy, "epochs": 3}}
    (repo / "metrics/evaluate.json").write_text(json.dumps(metrics))
    history = repo / "plots/history"
    history.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{epoch},{value}\n" for epoch, value in enumerate(curve, start=1))
    (history / "B.csv").write_text("epoch,val_accuracy\n" + rows)
    # The same on both branches: must not appear in the report.
    (history / "A.csv").write_text("epoch,val_accuracy\n1,0.5\n2,0.6\n")
    (repo / "plots/curves").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (6, 6), (red, 0, 0)).save(repo / "plots/curves/B.png")


@pytest.fixture
def two_branches(tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["git", "config", "user.email", "tests@example.invalid"], repo)
    run(["git", "config", "user.name", "tests"], repo)
    run(["dvc", "init", "-q"], repo)
    run(["dvc", "config", "core.analytics", "false"], repo)
    dvc_yaml = {
        "params": ["params.yaml"],
        "metrics": ["metrics/evaluate.json"],
        "plots": [{"plots/history": {"x": "epoch", "y": "val_accuracy"}}, "plots/curves"],
    }
    (repo / "dvc.yaml").write_text(yaml.safe_dump(dvc_yaml))
    write_results(repo, dropout=0.2, accuracy=0.97, curve=[0.9, 0.95, 0.97], red=200)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "base"], repo)
    run(["git", "checkout", "-qb", "more-dropout"], repo)
    write_results(repo, dropout=0.4, accuracy=0.98, curve=[0.88, 0.96, 0.98], red=90)
    run(["git", "commit", "-qam", "more dropout"], repo)
    return repo


def pr_report(repo: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The report command run in `repo`, with tools/ importable from this checkout."""
    return subprocess.run(
        [sys.executable, "-m", "tools.pr_report", *arguments],
        cwd=repo,
        env=command_environment(REPO_ROOT),
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_report_shows_changed_params_metrics_and_plots_only(two_branches: Path) -> None:
    result = pr_report(two_branches, "--base", "main", "--out", "out/report.md")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pr-report: wrote out/report.md"
    report = (two_branches / "out/report.md").read_text()
    lines = report.splitlines()
    assert lines[0] == "# What this branch changes against main"
    params = next(line for line in lines if "models.B.dropout" in line)
    assert [cell.strip() for cell in params.strip("|").split("|")][1:] == [
        "models.B.dropout",
        "0.2",
        "0.4",
    ]
    metrics = next(line for line in lines if "B.accuracy" in line)
    assert [cell.strip() for cell in metrics.strip("|").split("|")][1:] == [
        "B.accuracy",
        "0.97",
        "0.98",
        "0.01",
    ]
    assert "B.epochs" not in report  # unchanged metrics are left out
    headings = [line for line in lines if line.startswith("### ")]
    assert headings == ["### plots/curves/B.png", "### plots/history/B.csv"]
    pictures = [
        two_branches / "out" / link.split("](")[1].split(")")[0]
        for line in lines
        for link in line.split("!")[1:]
        if "](" in link
    ]
    assert len(pictures) == 3  # the curve drawn once for both, the picture at each revision
    for picture in pictures:
        assert picture.read_bytes().startswith(PNG_SIGNATURE), picture
    base_picture, branch_picture = (p for p in pictures if "curves" in p.name)
    assert Image.open(base_picture).getpixel((0, 0)) == (200, 0, 0)
    assert Image.open(branch_picture).getpixel((0, 0)) == (90, 0, 0)


def test_an_unknown_base_is_one_line_and_exit_2(two_branches: Path) -> None:
    result = pr_report(two_branches, "--base", "no-such-branch")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "pr-report: `dvc params diff no-such-branch --md` failed: "
        "ERROR: unknown Git revision 'no-such-branch'"
    ]
    assert not (two_branches / "pr-report.md").exists()


def test_nothing_changed_says_so_and_links_stand_in_for_pictures(two_branches: Path) -> None:
    unchanged = pr_report(two_branches, "--base", "more-dropout", "--plots-link", "https://x.test")
    assert unchanged.returncode == 0, unchanged.stderr
    report = (two_branches / "pr-report.md").read_text()
    for section in ("No param changed.", "No metric changed.", "No plot changed."):
        assert section in report.splitlines()
    linked = pr_report(two_branches, "--base", "main", "--plots-link", "https://x.test/run/1")
    assert linked.returncode == 0, linked.stderr
    report = (two_branches / "pr-report.md").read_text()
    assert "![" not in report
    assert report.count("[download](https://x.test/run/1)") == 2
