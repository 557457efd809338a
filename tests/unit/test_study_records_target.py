"""`make study-records` commits the study's finished trainings and nothing else."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import make_target


def git(repo: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def study_records(repo: Path) -> str:
    return make_target("study-records", repo).stdout


def test_only_the_new_records_are_committed(tmp_path):
    repo = tmp_path / "repo"
    (repo / "study/runs/seeds").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "tests@example.invalid")
    git(repo, "config", "user.name", "tests")
    (repo / "notes.txt").write_text("first\n")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-qm", "start")

    assert study_records(repo).strip() == "study-records: nothing new"

    (repo / "study/runs/seeds/A-seed-1.json").write_text("{}\n")
    (repo / "study/runs/seeds/A-seed-2.json").write_text("{}\n")
    (repo / "notes.txt").write_text("edited, staged, not a record\n")
    git(repo, "add", "notes.txt")
    study_records(repo)

    committed = git(repo, "show", "--name-only", "--format=%s", "HEAD").split("\n")
    assert committed[0] == "Study records: 2 more finished trainings"
    assert sorted(filter(None, committed[1:])) == [
        "study/runs/seeds/A-seed-1.json",
        "study/runs/seeds/A-seed-2.json",
    ]
    # The staged edit outside study/runs/ is still staged, not committed.
    assert git(repo, "diff", "--cached", "--name-only").split() == ["notes.txt"]
