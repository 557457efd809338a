"""The floor plan: stages are thin command lines over the library, and imports never circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

LIBRARY = REPO_ROOT / "mnist_cnn"
STAGES = REPO_ROOT / "stages"
# The library's lower layers, lowest first, by the part of mnist_cnn a module lives in (the
# package itself is "mnist_cnn"): a module imports only from its own layer and those below.
# Every part not named here (training, evaluation, study, pipeline, predict) and the stages sit
# above them all.
LOWER_LAYERS = (
    {"mnist_cnn", "errors", "files", "idx", "history", "kernels", "quiet", "interrupts", "layout"},
    {"params"},
    {"data", "models", "cli"},
)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The project modules `path` imports (from x import y counts x.y when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if name.split(".")[0] in ("mnist_cnn", "stages")}


def project_modules() -> dict[str, Path]:
    paths = [*LIBRARY.rglob("*.py"), *STAGES.glob("*.py")]
    return {module_name(path): path for path in paths}


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: {imported for imported in imported_modules(path) if imported in modules}
        for name, path in modules.items()
    }


def test_the_library_never_imports_a_stage_entry_point():
    importers = {
        name: sorted(imported for imported in imports if imported.startswith("stages"))
        for name, imports in import_graph().items()
        if not name.startswith("stages")
    }
    assert {name: found for name, found in importers.items() if found} == {}


def layer(module: str) -> int:
    parts = module.split(".")
    part = parts[1] if parts[0] == "mnist_cnn" and len(parts) > 1 else parts[0]
    return next(
        (index for index, members in enumerate(LOWER_LAYERS) if part in members),
        len(LOWER_LAYERS),
    )


def test_imports_run_down_the_layers_never_up():
    """params/ once imported a URL check from data/, which imports params/: a loop in waiting."""
    upward = sorted(
        f"{name} imports {imported}"
        for name, imports in import_graph().items()
        for imported in imports
        if layer(imported) > layer(name)
    )
    assert upward == []


def test_no_stage_imports_another_stage():
    found = {
        name: sorted(imported for imported in imports if imported.startswith("stages."))
        for name, imports in import_graph().items()
        if name.startswith("stages")
    }
    assert {name: imports for name, imports in found.items() if imports} == {}


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    # A package imports its own modules only through its __init__; count the package as its
    # modules' parent so that `a.b` importing `a` (the package) is not a false cycle.
    visiting, done, cycle = set(), set(), []

    def visit(name: str, path: list[str]) -> None:
        if name in done or cycle:
            return
        if name in visiting:
            cycle.extend(path[path.index(name) :] + [name])
            return
        visiting.add(name)
        for imported in sorted(graph.get(name, ())):
            visit(imported, [*path, imported])
        visiting.discard(name)
        done.add(name)

    for name in sorted(graph):
        visit(name, [name])
    assert cycle == []


@pytest.mark.parametrize("path", sorted(STAGES.glob("*.py")), ids=lambda path: path.name)
def test_each_stage_is_argument_parsing_and_one_call(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    if path.name == "__init__.py":
        assert functions == []
        return
    assert [function.name for function in functions] == ["main"]
    calls = [
        node.func
        for node in ast.walk(functions[0])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    assert [call.id for call in calls if call.id == "run_stage"] == ["run_stage"]
    statements = [node for node in functions[0].body if not isinstance(node, ast.ImportFrom)]
    assert len(statements) <= 5, "a stage's main() parses arguments and calls the library"


def pipeline_imports(nodes: list[ast.stmt]) -> list[ast.ImportFrom]:
    return [
        node
        for node in nodes
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mnist_cnn.pipeline")
    ]


@pytest.mark.parametrize("path", sorted(STAGES.glob("[!_]*.py")), ids=lambda path: path.name)
def test_a_stage_filters_stderr_before_it_imports_its_step(path: Path):
    """TensorFlow prints its start-up lines as it loads: the filter must already be in place,
    and it goes in when the stage runs, not when something imports the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert pipeline_imports(tree.body) == [], "import the pipeline step inside main()"
    [main] = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    first, second = main.body[:2]
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)
    assert isinstance(first.value.func, ast.Name) and first.value.func.id == "quiet_tensorflow"
    assert pipeline_imports([second]) == [second]
