"""The project code a result comes from: a module's import closure, and a digest of its files.

Read statically from the source (Python's `ast`), so nothing is imported to find out. Every
`import` and `from ... import` anywhere in a file counts, including those inside functions: a
module that may be imported is code the result may come from. Only the project's own packages
(PROJECT_PACKAGES) are followed; importing a package also runs its `__init__.py`, which is
therefore part of the closure.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

from mnist_cnn.errors import DataError

# The top-level packages that are this project's code (the library and the stage entry points).
PROJECT_PACKAGES = ("mnist_cnn", "stages")
# The modules whose closure decides a study training's result: those of the engine's work
# functions, for one training and for a group of seeds trained together.
TRAINING_ENTRY = "mnist_cnn.study.tasks"
SEED_GROUP_ENTRY = "mnist_cnn.study.seed_groups"
# The folder holding the project's packages: the code that is running, wherever it runs from.
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def module_file(root: Path, module: str) -> Path | None:
    """The file defining `module` under `root` (a package's __init__.py), or None."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _with_parents(module: str) -> list[str]:
    """`a.b.c` -> a, a.b, a.b.c: importing a module first imports every package above it."""
    parts = module.split(".")
    return [".".join(parts[: index + 1]) for index in range(len(parts))]


def imported_modules(path: Path, module: str) -> set[str]:
    """Every module name the file at `path` (module `module`) may import, parents included."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as error:
        raise DataError(f"{path}: not valid Python ({error.msg}, line {error.lineno})") from None
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            # `from package import name` imports the submodule `name` when there is one.
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return {parent for name in names if name for parent in _with_parents(name)}


def import_closure(root: Path, entry: str) -> list[Path]:
    """The project files module `entry` runs when imported or run with `python -m`, sorted,
    relative to `root`."""
    root = Path(root)
    seen: set[str] = set()
    waiting = _with_parents(entry)
    found: set[Path] = set()
    while waiting:
        module = waiting.pop()
        if module in seen or module.split(".")[0] not in PROJECT_PACKAGES:
            continue
        seen.add(module)
        path = module_file(root, module)
        if path is None:
            continue  # a name imported from a module, not a module of its own
        found.add(path.relative_to(root))
        waiting.extend(imported_modules(path, module))
    return sorted(found)


def code_fingerprint(root: Path = SOURCE_ROOT, entry: str = TRAINING_ENTRY) -> str:
    """sha256 over the path and bytes of every file in `entry`'s closure: any edit changes it."""
    digest = hashlib.sha256()
    for relative in import_closure(root, entry):
        content = (Path(root) / relative).read_bytes()
        digest.update(f"{relative.as_posix()}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()
