"""Typed access to a decoded request map, failing with the CTAP status code.

A missing required parameter is CTAP2_ERR_MISSING_PARAMETER and a value of
the wrong CBOR type is CTAP2_ERR_CBOR_UNEXPECTED_TYPE, as the spec asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fido2.ctap import CtapError

T = TypeVar("T")

_MISSING = CtapError.ERR.MISSING_PARAMETER
_TYPE = CtapError.ERR.CBOR_UNEXPECTED_TYPE


def request_map(value: object) -> Mapping[int, Any]:
    """The top-level parameters: a map with integer keys."""
    if not isinstance(value, dict):
        raise CtapError(_TYPE)
    for key in value:
        if isinstance(key, bool) or not isinstance(key, int):
            raise CtapError(_TYPE)
    return value


def _typed(value: object, kind: type[T]) -> T:
    # bool is an int in Python but a distinct CBOR simple value.
    if isinstance(value, bool) and kind is not bool:
        raise CtapError(_TYPE)
    if not isinstance(value, kind):
        raise CtapError(_TYPE)
    return value


def required(params: Mapping[Any, Any], key: object, kind: type[T]) -> T:
    if key not in params:
        raise CtapError(_MISSING)
    return _typed(params[key], kind)


def optional(params: Mapping[Any, Any], key: object, kind: type[T]) -> T | None:
    if key not in params:
        return None
    return _typed(params[key], kind)


def text_map(value: object) -> Mapping[str, Any]:
    """A map keyed by strings (rp, user, options, extensions, descriptors)."""
    mapping = _typed(value, dict)
    for key in mapping:
        if not isinstance(key, str):
            raise CtapError(_TYPE)
    return mapping


def options(params: Mapping[Any, Any], key: object) -> dict[str, bool]:
    """The options map; each value must be a boolean."""
    raw = optional(params, key, dict)
    if raw is None:
        return {}
    result: dict[str, bool] = {}
    for name, value in text_map(raw).items():
        result[name] = _typed(value, bool)
    return result


def descriptors(params: Mapping[Any, Any], key: object) -> list[bytes] | None:
    """Credential IDs of the public-key descriptors in an allow or exclude list."""
    raw = optional(params, key, list)
    if raw is None:
        return None
    ids = []
    for entry in raw:
        descriptor = text_map(entry)
        kind = required(descriptor, "type", str)
        credential_id = required(descriptor, "id", bytes)
        if kind == "public-key":
            ids.append(credential_id)
    return ids
