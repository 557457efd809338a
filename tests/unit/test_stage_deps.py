"""Deps that cannot drift: every project module a stage runs is covered by that stage's deps.

For every stage of dvc.yaml and study/dvc.yaml, as DVC itself reads them (`foreach` stages
expanded), the entry point of its `python -m` command is followed through every import it may
make (mnist_cnn.study.fingerprint.import_closure, read from the source), and each file found
must lie under one of the stage's deps, a file or a folder. An edit to any code a stage runs
therefore makes `dvc status` list that stage.
"""

from __future__ import annotations

import ast
import shlex
from pathlib import Path

import pytest
from dvc.repo import Repo

from mnist_cnn.study.fingerprint import import_closure
from tests.helpers import REPO_ROOT

# The only modules a stage may run without depending on them, each because it cannot change
# any output of any stage. Add one only with its reason.
NOT_A_DEP = {
    # Filters TensorFlow's start-up lines out of stderr; outputs never pass through it.
    "mnist_cnn/quiet.py",
    # Turns Ctrl-C into a stop at the next epoch: a run it touches ends with no output at all.
    "mnist_cnn/interrupts.py",
    # Exception classes and their exit codes: what a failed run prints, never a result.
    "mnist_cnn/errors.py",
}


def only_a_docstring(path: Path) -> bool:
    """A package __init__ holding nothing but its docstring runs no code."""
    body = ast.parse(path.read_bytes()).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def entry_module(command: str) -> str:
    words = shlex.split(command)
    assert words[:2] == ["python", "-m"], f"{command!r}: expected `python -m <module> ...`"
    return words[2]


def every_stage() -> list[tuple[str, str, list[str]]]:
    """(name, command, deps relative to the repository root) of each stage of both pipelines."""
    with Repo(str(REPO_ROOT)) as repo:
        stages = list(repo.index.stages)
        return [
            (
                stage.addressing,
                stage.cmd,
                [Path(dep.fs_path).relative_to(REPO_ROOT).as_posix() for dep in stage.deps],
            )
            for stage in stages
        ]


STAGES = every_stage()


def uncovered(closure: list[Path], deps: list[str]) -> list[str]:
    return [
        path.as_posix()
        for path in closure
        if path.as_posix() not in NOT_A_DEP
        and not only_a_docstring(REPO_ROOT / path)
        and not any(path.as_posix() == dep or path.is_relative_to(dep) for dep in deps)
    ]


def test_both_pipelines_are_read():
    names = {name for name, _, _ in STAGES}
    assert {"evaluate", "study/dvc.yaml:seeds", "study/dvc.yaml:report"} <= names
    assert any(name.startswith("train") for name in names)


@pytest.mark.parametrize(("name", "command", "deps"), STAGES, ids=[s[0] for s in STAGES])
def test_every_module_a_stage_runs_is_one_of_its_deps(name, command, deps):
    closure = import_closure(REPO_ROOT, entry_module(command))
    assert closure, f"{name}: its entry point {entry_module(command)} was not found"
    gaps = uncovered(closure, deps)
    assert not gaps, f"{name}: runs {', '.join(gaps)} but does not depend on it"


def test_the_exclusions_name_real_modules_a_stage_runs():
    """A stale entry would silently excuse nothing today and something tomorrow."""
    run = {
        path.as_posix()
        for _, command, _ in STAGES
        for path in import_closure(REPO_ROOT, entry_module(command))
    }
    assert run >= NOT_A_DEP


def test_a_gap_is_found(tmp_path):
    """The check itself: a stage whose module imports one more project module is caught."""
    closure = import_closure(REPO_ROOT, "stages.evaluate")
    deps = [path.as_posix() for path in closure if path.as_posix() != "mnist_cnn/models.py"]
    assert uncovered(closure, deps) == ["mnist_cnn/models.py"]
    assert uncovered(closure, [*deps, "mnist_cnn"]) == []
