"""Shared fixtures: one shrinks params.yaml, one builds a throw-away pipeline workspace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.mnist_fixtures import write_idx_set

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO_ROOT.parent / "shared" / "data" / "mnist"
VENV_BIN = Path(sys.executable).parent


def load_repo_params() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "params.yaml").read_text())


def shrink_params(
    params: dict[str, Any], mirror: Path, checksums: dict[str, str] | None, epochs: int = 1
) -> dict[str, Any]:
    """The repository's params, pointed at `mirror` and cut to a few seconds of training."""
    params["download"]["mirrors"] = [str(mirror)]
    if checksums is not None:
        params["download"]["sha256"] = checksums
    params["download"]["backoff_seconds"] = 0.0
    params["train"]["batch_size"] = 32
    params["train"]["steps_per_execution"] = 1
    for model in params["models"].values():
        model["epochs"] = epochs
    return params


@pytest.fixture
def idx_mirror(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A local mirror directory with tiny synthetic IDX files, and their checksums."""
    directory = tmp_path / "mirror"
    return directory, write_idx_set(directory)


@pytest.fixture
def small_params(idx_mirror: tuple[Path, dict[str, str]]) -> dict[str, Any]:
    mirror, checksums = idx_mirror
    return shrink_params(load_repo_params(), mirror, checksums)


def write_params(directory: Path, params: dict[str, Any]) -> None:
    (directory / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture
def stage_workspace(
    tmp_path: Path, small_params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A working directory with the small params.yaml, for calling stage main()s directly."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    write_params(workspace, small_params)
    monkeypatch.chdir(workspace)
    return workspace


def run(
    command: list[str], cwd: Path, check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run a command with this interpreter's environment first on PATH; fail with its output."""
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(cwd),
        "DVC_NO_ANALYTICS": "1",
    }
    result = subprocess.run(command, cwd=cwd, env=env, text=True, capture_output=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def make_pipeline_repo(destination: Path, params: dict[str, Any]) -> Path:
    """A real git + DVC repository holding this project's code and the given params."""
    destination.mkdir(parents=True)
    shutil.copytree(
        REPO_ROOT / "stages", destination / "stages", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("dvc.yaml", ".gitignore"):
        shutil.copy2(REPO_ROOT / name, destination / name)
    (destination / "data").mkdir()
    shutil.copy2(REPO_ROOT / "data" / ".gitignore", destination / "data" / ".gitignore")
    write_params(destination, params)
    run(["git", "init", "-q", "-b", "main"], destination)
    run(["git", "config", "user.email", "tests@example.invalid"], destination)
    run(["git", "config", "user.name", "tests"], destination)
    run(["dvc", "init", "-q"], destination)
    run(["dvc", "config", "core.analytics", "false"], destination)
    run(["git", "add", "-A"], destination)
    run(["git", "commit", "-qm", "pipeline under test"], destination)
    return destination


@pytest.fixture
def pipeline_repo(tmp_path: Path, small_params: dict[str, Any]) -> Path:
    return make_pipeline_repo(tmp_path / "repo", small_params)


@pytest.fixture(scope="session")
def reproduced_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pipeline repository on tiny data after a full `dvc repro`, committed, per session."""
    mirror = tmp_path_factory.mktemp("mirror")
    params = shrink_params(load_repo_params(), mirror, write_idx_set(mirror))
    repo = make_pipeline_repo(tmp_path_factory.mktemp("template") / "repo", params)
    run(["dvc", "repro"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "reproduced"], repo)
    return repo


@pytest.fixture
def reproduced_repo(reproduced_template: Path, tmp_path: Path) -> Path:
    """A private copy of the reproduced repository (git history and DVC cache included).

    Saves each test a full `dvc repro` of every stage; tests that change it change the copy.
    """
    copy = tmp_path / "reproduced"
    shutil.copytree(reproduced_template, copy, symlinks=True)
    return copy
