"""Helpers the tests share: the repository's params, shrunk; workspaces; running commands."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mnist_cnn.cli import guarded
from mnist_cnn.errors import EXIT_USER_ERROR
from mnist_cnn.history import read_reference
from mnist_cnn.layout import Layout
from mnist_cnn.params import Params, parse_params

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
# What a pipeline repository under test needs from this checkout.
PIPELINE_FILES = ("dvc.yaml", "study/dvc.yaml", ".gitignore", "data/.gitignore")
PIPELINE_FOLDERS = ("stages", "mnist_cnn", "reference", "tools")
# DVC's own folder, copied after `dvc init` makes it: the project's plot templates.
DVC_TEMPLATES = ".dvc/plots"


def load_repo_params() -> dict[str, Any]:
    """The repository's params.yaml, parsed as plain YAML (for tests to change and write)."""
    return yaml.safe_load((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))


def declared_models() -> list[str]:
    return list(load_repo_params()["models"])


def notebook_models() -> list[str]:
    """The models whose per-epoch numbers the notebook printed (reference/)."""
    return list(read_reference(Layout(REPO_ROOT).notebook_history))


def shrink_params(
    params: dict[str, Any], mirror: Path, checksums: dict[str, str] | None, epochs: int = 1
) -> dict[str, Any]:
    """The repository's params, pointed at `mirror` and cut to a few seconds of training."""
    params["download"]["mirrors"] = [str(mirror)]
    if checksums is not None:
        params["download"]["sha256"] = checksums
    params["download"]["backoff_seconds"] = 0.0
    params["train"]["batch_size"] = 32
    params["runtime"]["steps_per_execution"] = 1
    for model in params["models"].values():
        model["epochs"] = epochs
    return params


def write_params(directory: Path, params: dict[str, Any]) -> Path:
    path = directory / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def edit_params(directory: Path, *changes: tuple[str, Any]) -> dict[str, Any]:
    """Set dotted keys (`models.B_adj.layers.drop1.rate`) in directory/params.yaml; returns
    the params."""
    params = yaml.safe_load((directory / "params.yaml").read_text(encoding="utf-8"))
    for path, value in changes:
        set_key(params, path, value)
    write_params(directory, params)
    return params


def set_key(params: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = params
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return params


def committed_tree(repository: Path, destination: Path) -> Path:
    """Every file of `repository`'s last commit, written under `destination` (returned).

    What a fresh clone holds, whatever an experiment (`dvc exp run` rewrites metrics and
    params.yaml in place) or an unfinished edit has since changed in the working copy: checks of
    generated files compare against this, so they hold in a working copy that has run anything.
    """
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=repository, capture_output=True, check=True
    ).stdout
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination


def committed_params_text() -> str:
    """params.yaml as the last commit holds it, for checks of the notebook's facts against the
    declared models: an experiment's `-S` changes in the working copy must not fail them."""
    return subprocess.run(
        ["git", "show", "HEAD:params.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def committed_params() -> Params:
    return parse_params(yaml.safe_load(committed_params_text()))


def workspace(directory: Path, params: dict[str, Any]) -> tuple[Layout, Params]:
    """A folder with params.yaml and the reference data: what a stage needs besides its inputs."""
    directory.mkdir(parents=True, exist_ok=True)
    write_params(directory, params)
    reference = Layout(REPO_ROOT).notebook_history.parent
    shutil.copytree(reference, directory / reference.name, dirs_exist_ok=True)
    return Layout(directory), parse_params(params)


def command_environment(cwd: Path) -> dict[str, str]:
    """This interpreter's environment with its tools first on PATH and the project importable."""
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(cwd),
        "PYTHONUNBUFFERED": "1",
        "DVC_NO_ANALYTICS": "1",
    }


def run(
    command: list[str], cwd: Path, check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run a command in `cwd`; with check, fail with its output when it exits non-zero."""
    result = subprocess.run(
        command, cwd=cwd, env=command_environment(cwd), text=True, capture_output=True, **kwargs
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def make_target(
    target: str, cwd: Path, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`make -s <target>` from this project's Makefile, run in `cwd` (a throwaway repository)."""
    return subprocess.run(
        ["make", "-s", "-f", str(REPO_ROOT / "Makefile"), target],
        cwd=cwd,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )


def copy_project(destination: Path) -> None:
    """The pipeline's code and files into `destination`, as a clone would have them."""
    for folder in PIPELINE_FOLDERS:
        shutil.copytree(
            REPO_ROOT / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    for name in PIPELINE_FILES:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, destination / name)


def make_pipeline_repo(destination: Path, params: dict[str, Any]) -> Path:
    """A real git + DVC repository holding this project's code and the given params."""
    destination.mkdir(parents=True)
    copy_project(destination)
    write_params(destination, params)
    run(["git", "init", "-q", "-b", "main"], destination)
    run(["git", "config", "user.email", "tests@example.invalid"], destination)
    run(["git", "config", "user.name", "tests"], destination)
    run(["dvc", "init", "-q"], destination)
    shutil.copytree(REPO_ROOT / DVC_TEMPLATES, destination / DVC_TEMPLATES)
    run(["dvc", "config", "core.analytics", "false"], destination)
    run(["dvc", "config", "studio.offline", "true"], destination)
    run(["git", "add", "-A"], destination)
    run(["git", "commit", "-qm", "pipeline under test"], destination)
    return destination


def ran_stages(dvc_output: str) -> list[str]:
    """The stages a `dvc repro` or `dvc exp run` ran, sorted, from its output."""
    return sorted(
        line.split("'")[1] for line in dvc_output.splitlines() if line.startswith("Running stage")
    )


def failed_in_process(action: Callable[[], None], capsys: pytest.CaptureFixture[str]) -> str:
    """Run `action` in this process as a stage's command line does (so monkeypatches apply);
    it must exit with the user-error status. Returns its last line on stderr."""
    with pytest.raises(SystemExit) as raised:
        guarded(action)
    assert raised.value.code == EXIT_USER_ERROR
    return capsys.readouterr().err.splitlines()[-1]


def run_stage(
    workspace: Path, *arguments: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m <arguments>` in `workspace`, as DVC runs a stage, with this checkout's code."""
    return subprocess.run(
        [sys.executable, "-m", *arguments],
        cwd=workspace,
        env=command_environment(REPO_ROOT),
        text=True,
        capture_output=True,
        timeout=timeout,
    )


def start_stage(workspace: Path, *arguments: str) -> subprocess.Popen[str]:
    """Start a stage with stderr piped line by line, for tests that interrupt it."""
    return subprocess.Popen(
        [sys.executable, "-m", *arguments],
        cwd=workspace,
        env=command_environment(REPO_ROOT),
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stage_lines(stderr: str) -> list[str]:
    """The non-empty lines a stage printed on stderr (TensorFlow's start-up lines are filtered
    by the stage itself, mnist_cnn/quiet.py, so none may appear here)."""
    return [line for line in stderr.strip().splitlines() if line]


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The command failed as a user error: exit 2, no traceback, one `error:` line."""
    assert result.returncode == EXIT_USER_ERROR, result.stderr
    assert "Traceback" not in result.stderr
    lines = stage_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def jax_scenario(module: str, *arguments: str) -> Any:
    """Run `python -m module arguments` on Keras' JAX backend in a child process (the backend is
    chosen once per process) and return the JSON object on its last line of output."""
    environment = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(REPO_ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])
