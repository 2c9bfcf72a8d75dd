"""A strict CBOR reader for requests, as an authenticator's parser would be.

python-fido2's decoder is written for trusted authenticator replies: it quietly
shortens a byte string that runs past the end of the input. An authenticator
must instead reject truncated or over-nested input with CTAP2_ERR_INVALID_CBOR,
so requests go through this reader; replies are encoded with ``fido2.cbor``,
whose output python-fido2 checks for canonical form.
"""

from __future__ import annotations

from typing import Any

from fido2.ctap import CtapError

# Real authenticators cap request nesting at a few levels; four suffice for
# every CTAP2 command (request map > extensions > hmac-secret > COSE key).
MAX_DEPTH = 6

_INVALID = CtapError.ERR.INVALID_CBOR


def decode_request(data: bytes) -> Any:
    """Decode one complete CBOR item, or raise CtapError(INVALID_CBOR)."""
    value, offset = _item(data, 0, 0)
    if offset != len(data):
        raise CtapError(_INVALID)
    return value


def _need(data: bytes, offset: int, count: int) -> None:
    if count < 0 or offset + count > len(data):
        raise CtapError(_INVALID)


def _argument(data: bytes, offset: int, info: int) -> tuple[int, int]:
    if info < 24:
        return info, offset
    sizes = {24: 1, 25: 2, 26: 4, 27: 8}
    size = sizes.get(info)
    if size is None:
        # Indefinite lengths and reserved values have no place in CTAP2.
        raise CtapError(_INVALID)
    _need(data, offset, size)
    return int.from_bytes(data[offset : offset + size], "big"), offset + size


def _item(data: bytes, offset: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise CtapError(_INVALID)
    _need(data, offset, 1)
    initial = data[offset]
    major, info = initial >> 5, initial & 0x1F
    offset += 1
    if major == 7:
        if info == 20:
            return False, offset
        if info == 21:
            return True, offset
        raise CtapError(_INVALID)
    value, offset = _argument(data, offset, info)
    if major == 0:
        return value, offset
    if major == 1:
        return -1 - value, offset
    if major in (2, 3):
        _need(data, offset, value)
        raw = data[offset : offset + value]
        offset += value
        if major == 2:
            return bytes(raw), offset
        try:
            return raw.decode("utf-8"), offset
        except UnicodeDecodeError:
            raise CtapError(_INVALID) from None
    if major == 4:
        # Every element takes at least one byte: refuse impossible counts early.
        _need(data, offset, value)
        items = []
        for _ in range(value):
            element, offset = _item(data, offset, depth + 1)
            items.append(element)
        return items, offset
    if major == 5:
        _need(data, offset, 2 * value)
        mapping: dict[Any, Any] = {}
        for _ in range(value):
            key, offset = _item(data, offset, depth + 1)
            if isinstance(key, (list, dict)) or key in mapping:
                raise CtapError(_INVALID)
            mapping[key], offset = _item(data, offset, depth + 1)
        return mapping, offset
    # Major type 6: tags are not part of CTAP2's CBOR subset.
    raise CtapError(_INVALID)
