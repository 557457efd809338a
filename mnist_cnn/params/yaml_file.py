"""Reading params.yaml strictly: UTF-8 only, no duplicate keys, errors with file:line:column."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml

from mnist_cnn.errors import ParamsError
from mnist_cnn.params.sections import Params, parse_params

_WIDE_ENCODINGS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}
# The deepest params.yaml has five levels (models.B.layers.conv1.filters); PyYAML builds nested
# values by recursion, so a file nested thousands deep would end in Python's RecursionError.
MAX_NESTING = 50


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """safe_load, except that a key given twice in one mapping is an error, not a silent win,
    and nesting deeper than MAX_NESTING stops the reading."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first given on line {first})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ParamsError(f"{path.name}: file not found (run from the repository root)") from None
    for bom, encoding in _WIDE_ENCODINGS.items():
        if data.startswith(bom):
            raise ParamsError(f"{path.name}: saved as {encoding}; save it as UTF-8")
    if b"\x00" in data:
        # UTF-16 or UTF-32 without a byte-order mark: ASCII text with a zero byte beside each.
        raise ParamsError(
            f"{path.name}: holds zero bytes, as UTF-16 or UTF-32 text does; save it as UTF-8"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ParamsError(
            f"{path.name}:{line}: byte 0x{data[error.start]:02x} is not UTF-8; save the file "
            "as UTF-8"
        ) from None


def read_yaml(path: Path) -> Any:
    """The parsed YAML of `path`; every problem is a ParamsError naming file, line and column."""
    text = _text(path)
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except _TooDeep as error:
        raise ParamsError(
            f"{path.name} nests deeper than {MAX_NESTING} levels (line {error.line}); "
            "a params value is a number, a string, or a short list or mapping of those"
        ) from None
    except yaml.reader.ReaderError as error:
        # A control character YAML does not allow: the reader knows its offset, not its line.
        line = text[: error.position].count("\n") + 1
        raise ParamsError(
            f"{path.name}:{line}: character U+{error.character:04X} is not allowed in YAML; "
            "remove it"
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else path.name
        raise ParamsError(f"{where}: malformed YAML: {error.problem}") from None


def load_params(path: Path) -> Params:
    """Read and validate params.yaml."""
    return parse_params(read_yaml(path))
