"""The one validator: YAML values to typed, frozen dataclasses, strictly.

Every section of params.yaml and every layer spec goes through `convert`, so one set of rules
holds everywhere: unknown and missing keys are errors, a bool is not an int, every float is
finite, ranges are declared on the field (`bounded`), names that become file names are single
safe path components, a union of spec classes is chosen by its `kind` key, and a sequence
declared `Named` is written as a mapping from names to items (kept in order, names dropped).
Errors name the dotted key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from typing import Annotated, Any, Literal

from mnist_cnn.errors import ParamsError


def bounded(
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> dict[str, Any]:
    """Field metadata declaring the allowed range of a number."""
    return {"range": (low, high, low_open, high_open)}


@dataclasses.dataclass(frozen=True)
class NamePattern:
    """A string that becomes part of a file name: a single path component, nothing else."""

    pattern: str
    description: str


# Model names become data/models/<name>.keras and stage names train@<name>; layer names become
# parts of dotted keys (models.B.layers.<name>.rate), so they may not hold a dot.
NAME_PATTERN = NamePattern(
    r"[A-Za-z][A-Za-z0-9_]*", "letters, digits and underscores, from a letter"
)
Name = Annotated[str, NAME_PATTERN]
# A folder directly under the repository root, hidden or not (.resume).
FolderName = Annotated[
    str, NamePattern(r"\.?[A-Za-z0-9_][A-Za-z0-9_-]*", "one folder name: letters, digits, _ -")
]


@dataclasses.dataclass(frozen=True)
class Named:
    """A tuple written in params.yaml as a mapping of names to its items, in order.

    DVC shows a list param as one cell and addresses its items by position; named items are
    columns of their own (`models.B_adj.layers.drop1.rate`) that keep their name when an item
    is inserted before them. The names only address the items: they are not kept.
    """

    description: str
    example: str


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_range(key: str, value: Any, metadata: typing.Mapping[str, Any]) -> None:
    if "range" not in metadata or value is None:
        return
    low, high, low_open, high_open = metadata["range"]
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        lowest, highest = "-inf" if low is None else low, "inf" if high is None else high
        raise ParamsError(
            f"{key} = {value!r} is out of range; allowed: {left}{lowest}, {highest}{right}"
        )


def _number(key: str, value: Any) -> float:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            pass
        else:
            # PyYAML follows YAML 1.1, where 1e-3 (no dot) is text, not a number.
            raise ParamsError(
                f"{key} = {value!r} (str) must be a number; YAML reads an exponent without "
                "a dot as text: write 1.0e-3 or 0.001"
            )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamsError(f"{key} = {_describe(value)} must be a number")
    if not math.isfinite(value):
        raise ParamsError(f"{key} = {value!r} must be a finite number")
    return float(value)


def _scalar(key: str, value: Any, hint: Any) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise ParamsError(f"{key} = {_describe(value)} must be true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"{key} = {_describe(value)} must be an integer")
        return value
    if hint is float:
        return _number(key, value)
    if hint is str:
        if not isinstance(value, str) or not value:
            raise ParamsError(f"{key} = {_describe(value)} must be a non-empty string")
        return value
    raise TypeError(f"no converter for {hint!r} at {key}")


def _name(key: str, value: Any, rule: NamePattern) -> str:
    if not isinstance(value, str) or not re.fullmatch(rule.pattern, value):
        raise ParamsError(f"{key} = {value!r} is not a valid name; allowed: {rule.description}")
    return value


def _kinds(classes: tuple[Any, ...]) -> dict[str, type]:
    return {cls.kind: cls for cls in classes}


def _tagged(key: str, value: Any, classes: tuple[Any, ...]) -> Any:
    """A mapping with a `kind` naming one of `classes`, built as that class."""
    kinds = _kinds(classes)
    if not isinstance(value, dict) or "kind" not in value:
        raise ParamsError(f"{key} = {value!r} must be a mapping with a 'kind'")
    kind = value["kind"]
    if not isinstance(kind, str) or kind not in kinds:
        raise ParamsError(
            f"{key}.kind = {kind!r} is not a known kind; expected one of {', '.join(kinds)}"
        )
    fields = {name: item for name, item in value.items() if name != "kind"}
    return build_dataclass(key, fields, kinds[kind], allowed_extra=("kind",))


def convert(key: str, value: Any, hint: Any) -> Any:
    """Convert one YAML value to `hint`, strictly; `key` is the dotted path for errors."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated and isinstance(args[1], Named):
        return _named_items(key, value, args[0], args[1])
    if origin is Annotated:
        return _name(key, convert(key, value, args[0]), args[1])
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        choices = tuple(arg for arg in args if arg is not type(None))
        if len(choices) > 1:
            return _tagged(key, value, choices)
        return convert(key, value, choices[0])
    if origin is Literal:
        if value not in args:
            raise ParamsError(
                f"{key} = {value!r} is not allowed; expected one of {', '.join(map(str, args))}"
            )
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build_dataclass(key, value, hint)
    if origin is tuple:
        if not isinstance(value, list):
            raise ParamsError(f"{key} = {_describe(value)} must be a list")
        return tuple(convert(f"{key}[{index}]", item, args[0]) for index, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict) or not value:
            raise ParamsError(f"{key} = {_describe(value)} must be a non-empty mapping")
        return {
            convert(f"{key}.{name}", name, args[0]): convert(f"{key}.{name}", item, args[1])
            for name, item in value.items()
        }
    return _scalar(key, value, hint)


def _named_items(key: str, value: Any, hint: Any, rule: Named) -> tuple[Any, ...]:
    """The items of a mapping `{name: item}` converted to `hint`'s item type, in order."""
    if isinstance(value, list):
        # The form params.yaml had before the items were named: say what to write instead.
        raise ParamsError(
            f"{key} is a list of {len(value)} items; write it as a mapping of "
            f"{rule.description} ({rule.example})"
        )
    if not isinstance(value, dict) or not value:
        raise ParamsError(
            f"{key} = {_describe(value)} must be a non-empty mapping of {rule.description}"
        )
    (item_hint, _ellipsis) = typing.get_args(hint)
    items = []
    for name, item in value.items():
        _name(f"{key}.{name}", name, NAME_PATTERN)
        items.append(convert(f"{key}.{name}", item, item_hint))
    return tuple(items)


def build_dataclass(key: str, mapping: Any, cls: type, allowed_extra: tuple[str, ...] = ()) -> Any:
    """Build dataclass `cls` from a mapping, refusing unknown and missing keys."""
    if not isinstance(mapping, dict):
        raise ParamsError(f"{key or 'params'} = {_describe(mapping)} must be a mapping")
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {field.name: field for field in dataclasses.fields(cls)}
    prefix = f"{key}." if key else ""
    unknown = sorted(set(mapping) - set(fields), key=str)
    if unknown:
        allowed = ", ".join([*allowed_extra, *fields])
        raise ParamsError(f"unknown key {prefix}{unknown[0]}; allowed keys here: {allowed}")
    values = {}
    for name, field in fields.items():
        if name not in mapping:
            if field.default is not dataclasses.MISSING:
                continue
            raise ParamsError(f"missing key {prefix}{name}")
        values[name] = convert(f"{prefix}{name}", mapping[name], hints[name])
        check_range(f"{prefix}{name}", values[name], field.metadata)
    return cls(**values)
