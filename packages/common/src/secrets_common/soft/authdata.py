"""Authenticator data (WebAuthn 6.1), as this authenticator lays it out."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from fido2 import cbor

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_AT = 0x40
FLAG_ED = 0x80


def authenticator_data(
    rp_id_hash: bytes,
    *,
    up: bool,
    uv: bool,
    counter: int,
    attested: bytes = b"",
    extensions: Mapping[str, Any] | None = None,
) -> bytes:
    flags = (FLAG_UP if up else 0) | (FLAG_UV if uv else 0)
    if attested:
        flags |= FLAG_AT
    tail = attested
    if extensions:
        flags |= FLAG_ED
        tail += cbor.encode(extensions)
    return rp_id_hash + struct.pack(">BI", flags, counter & 0xFFFFFFFF) + tail


def attested_credential_data(
    aaguid: bytes, credential_id: bytes, public_key: Mapping[int, Any]
) -> bytes:
    return aaguid + struct.pack(">H", len(credential_id)) + credential_id + cbor.encode(public_key)
