"""``json.dumps`` for the fast command paths, without importing :mod:`json`.

:mod:`json` imports :mod:`re` (through its encoder and its decoder), which
costs a fast command a good part of its budget. The text written here is
exactly what ``json.dumps(value)`` or ``json.dumps(value, indent=N)`` writes
for the values a command prints: dicts with text keys, lists, tuples, text,
numbers, booleans and None. The string quoting is CPython's own C routine
(``_json``), the one :mod:`json` uses. Standard library only.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs a fast path more than this whole module
if TYPE_CHECKING:
    from typing import Any

try:
    from _json import encode_basestring_ascii as _quote
except ImportError:  # pragma: no cover - not CPython: json's pure-Python twin
    from json.encoder import py_encode_basestring_ascii as _quote


def dumps(value: Any, *, indent: int | None = None) -> str:
    """What ``json.dumps(value, indent=indent)`` returns."""
    out: list[str] = []
    _write(value, out, indent, 0)
    return "".join(out)


def _number(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == float("-inf"):
        return "-Infinity"
    return float.__repr__(value)


def _write(value: Any, out: list[str], indent: int | None, level: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be text, not {type(key).__name__}")
        _container("{", "}", list(value.items()), out, indent, level)
    elif isinstance(value, (list, tuple)):
        _container("[", "]", list(value), out, indent, level)
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _container(
    opening: str, closing: str, items: list[Any], out: list[str], indent: int | None, level: int
) -> None:
    if not items:
        out.append(opening + closing)
        return
    if indent is None:
        separator, newline = ", ", ""
    else:
        newline = "\n" + " " * (indent * (level + 1))
        separator = "," + newline
    out.append(opening + newline)
    for index, item in enumerate(items):
        if index:
            out.append(separator)
        if opening == "{":
            key, item = item
            out.append(_quote(key) + ": ")
        _write(item, out, indent, level + 1)
    if indent is not None:
        out.append("\n" + " " * (indent * level))
    out.append(closing)
