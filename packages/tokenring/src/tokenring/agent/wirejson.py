"""JSON for the agent's frames, without importing :mod:`json`.

``json.decoder`` imports :mod:`re`, and the two cost the fast ``tokenring
get`` more than everything else it does (about 14 ms of a 20 ms interpreter
start). CPython's ``_json`` accelerator — the C scanner and string quoting
that :mod:`json` itself uses — loads in a fraction of that; this module
drives it directly. The output is what ``json.dumps(value,
separators=(",", ":"))`` writes, and the input is whatever :func:`json.loads`
accepts, except NaN and the infinities. Interpreters without ``_json`` get
the pure-Python twins from :mod:`json`.

Standard library only: the fast client imports this module.
"""

from __future__ import annotations

TYPE_CHECKING = False  # see tokenring.agent.client: typing is too heavy for the fast path
if TYPE_CHECKING:
    from typing import Any

try:
    from _json import encode_basestring_ascii as _quote
    from _json import make_scanner
except ImportError:  # pragma: no cover - not CPython: json's pure-Python twins
    from json.encoder import py_encode_basestring_ascii as _quote
    from json.scanner import make_scanner


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a frame")


class _Context:
    """The attributes ``_json.make_scanner`` reads (as from a ``JSONDecoder``)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_refuse_constant)


# The scanner reads its settings from a duck-typed context (typeshed names the class).
_scan = make_scanner(_Context())  # type: ignore[arg-type]
_WHITESPACE = " \t\n\r"


def loads(text: str) -> Any:
    """The value of one JSON document; ``ValueError`` if it is not one."""
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:
        raise ValueError(f"not JSON at character {stop.value}") from None
    except RecursionError:
        # e.g. 100000 "[": the scanner recurses per level and stops at the
        # interpreter's recursion limit; a frame is never legitimately that deep.
        raise ValueError("nested too deeply") from None
    if text[end:].strip(_WHITESPACE):
        raise ValueError(f"extra data at character {end}")
    return value


def dumps(value: Any) -> str:
    """Compact JSON for ``value`` (dicts with text keys, lists, text, numbers, booleans, None)."""
    return "".join(_pieces(value))


def _pieces(value: Any) -> list[str]:
    if value is None:
        return ["null"]
    if value is True:
        return ["true"]
    if value is False:
        return ["false"]
    if isinstance(value, str):
        return [_quote(value)]
    if isinstance(value, int):
        return [int.__repr__(value)]
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} cannot be written as JSON")
        return [float.__repr__(value)]
    if isinstance(value, dict):
        out = ["{"]
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be text, not {type(key).__name__}")
            out += ([","] if index else []) + [_quote(key), ":", *_pieces(item)]
        return [*out, "}"]
    if isinstance(value, (list, tuple)):
        out = ["["]
        for index, item in enumerate(value):
            out += ([","] if index else []) + _pieces(item)
        return [*out, "]"]
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")
