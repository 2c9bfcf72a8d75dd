"""The vault file format, version 1: parsing and writing, no cryptography.

A file is one line of JSON (the clear header), a newline, then the encrypted
index: a Fernet token stored as raw bytes (not base64), so that no byte of the
file is redundant and every flipped bit changes what is authenticated. See
docs/vault-format.md for the field-by-field description.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import attrs

from secrets_common.keysource import Credential
from secrets_common.vault.crypto import KEY_SIZE, SEAL_SIZE
from secrets_common.vault.opener import ScryptParams

FORMAT_NAME = "secrets-vault"
VERSION = 1
ID_SIZE = 16
RECORD_HEAD = struct.Struct("<HI")
"""Per entry: name length (bytes of UTF-8), value token length."""
COUNT = struct.Struct("<I")
DIGEST_SIZE = 32
MAX_NAME = 0xFFFF
_T = TypeVar("_T")


class FormatError(Exception):
    """The bytes are not a well-formed version-1 vault (internal)."""


@attrs.frozen
class AuthenticatorSlot:
    """A security key's credential; its hmac-secret outputs for the vault salts open it."""

    name: str
    credential: Credential
    index_key: bytes = attrs.field(repr=False)
    read_key: bytes = attrs.field(repr=False)
    kind = "authenticator"


@attrs.frozen
class KeyringSlot:
    """A random secret stored in the OS keyring under (service, username)."""

    name: str
    service: str
    username: str
    index_key: bytes = attrs.field(repr=False)
    read_key: bytes = attrs.field(repr=False)
    kind = "keyring"


@attrs.frozen
class RecoverySlot:
    """A recovery code stretched with scrypt."""

    name: str
    scrypt: ScryptParams
    salt: bytes
    index_key: bytes = attrs.field(repr=False)
    read_key: bytes = attrs.field(repr=False)
    kind = "recovery"


Slot = AuthenticatorSlot | KeyringSlot | RecoverySlot


@attrs.frozen
class Header:
    """Everything in the clear; authenticated by its digest inside the index."""

    vault_id: bytes
    epoch: bytes
    """Random, renewed by every rotation: tells a re-key from a plain write."""
    index_salt: bytes
    read_salt: bytes
    read_public: bytes
    slots: tuple[Slot, ...]


def encode_header(header: Header) -> bytes:
    """The header line (without its newline)."""
    document = {
        "format": FORMAT_NAME,
        "version": VERSION,
        "vault_id": header.vault_id.hex(),
        "epoch": header.epoch.hex(),
        "index_salt": header.index_salt.hex(),
        "read_salt": header.read_salt.hex(),
        "read_public_key": header.read_public.hex(),
        "slots": [_encode_slot(slot) for slot in header.slots],
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _encode_slot(slot: Slot) -> dict[str, Any]:
    common = {
        "index_key": slot.index_key.decode("ascii"),
        "read_key": slot.read_key.decode("ascii"),
    }
    if isinstance(slot, AuthenticatorSlot):
        return {
            "kind": slot.kind,
            "name": slot.name,
            "rp_id": slot.credential.rp_id,
            "credential_id": slot.credential.credential_id.hex(),
            "uv": slot.credential.uv,
            **common,
        }
    if isinstance(slot, KeyringSlot):
        return {
            "kind": slot.kind,
            "name": slot.name,
            "service": slot.service,
            "username": slot.username,
            **common,
        }
    return {
        "kind": slot.kind,
        "name": slot.name,
        "scrypt": {"n": slot.scrypt.n, "r": slot.scrypt.r, "p": slot.scrypt.p},
        "salt": slot.salt.hex(),
        **common,
    }


def split_file(data: bytes) -> tuple[bytes, bytes]:
    """The header line and the raw index token."""
    if not data:
        raise FormatError("the file is empty")
    newline = data.find(b"\n")
    if newline < 0 or not data.startswith(b"{"):
        raise FormatError("it is not a secrets vault")
    return data[:newline], data[newline + 1 :]


def decode_header(line: bytes) -> Header:
    """Parse and validate a header line; FormatError names what is wrong."""
    try:
        document = json.loads(line)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: how json gives up on deeply nested arrays.
        raise FormatError("it is not a secrets vault (the header is not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise FormatError("it is not a secrets vault")
    version = document.get("version")
    if version != VERSION:
        raise FormatError(f"it has format version {_shown(version)}; this toolkit reads version 1")
    fields = _Fields(document, "header")
    fields.expect_keys(
        {
            "format",
            "version",
            "vault_id",
            "epoch",
            "index_salt",
            "read_salt",
            "read_public_key",
            "slots",
        }
    )
    raw_slots = fields.get("slots", list)
    slots = tuple(_decode_slot(item) for item in raw_slots)
    if not slots:
        raise FormatError("it has no key slots")
    names = [slot.name for slot in slots]
    if len(set(names)) != len(names):
        raise FormatError("two of its slots have the same name")
    return Header(
        vault_id=fields.hex("vault_id", ID_SIZE),
        epoch=fields.hex("epoch", ID_SIZE),
        index_salt=fields.hex("index_salt", KEY_SIZE),
        read_salt=fields.hex("read_salt", KEY_SIZE),
        read_public=fields.hex("read_public_key", KEY_SIZE),
        slots=slots,
    )


def _decode_slot(item: object) -> Slot:
    if not isinstance(item, dict):
        raise FormatError("a slot is not a JSON object")
    fields = _Fields(item, "slot")
    kind = fields.get("kind", str)
    name = fields.get("name", str)
    index_key = fields.token("index_key")
    read_key = fields.token("read_key")
    common = {"kind", "name", "index_key", "read_key"}
    if kind == AuthenticatorSlot.kind:
        fields.expect_keys(common | {"rp_id", "credential_id", "uv"})
        credential = Credential(
            rp_id=fields.get("rp_id", str),
            credential_id=fields.hex("credential_id", None),
            uv=fields.get("uv", bool),
        )
        return AuthenticatorSlot(name, credential, index_key, read_key)
    if kind == KeyringSlot.kind:
        fields.expect_keys(common | {"service", "username"})
        return KeyringSlot(
            name, fields.get("service", str), fields.get("username", str), index_key, read_key
        )
    if kind == RecoverySlot.kind:
        fields.expect_keys(common | {"scrypt", "salt"})
        cost = _Fields(fields.get("scrypt", dict), "scrypt")
        cost.expect_keys({"n", "r", "p"})
        try:
            params = ScryptParams(cost.get("n", int), cost.get("r", int), cost.get("p", int))
        except ValueError as error:
            raise FormatError(str(error)) from None
        return RecoverySlot(name, params, fields.hex("salt", ID_SIZE), index_key, read_key)
    raise FormatError(f"a slot has the unknown kind {_shown(kind)}")


def _shown(value: object) -> str:
    """A value read from a damaged file, short enough for a one-line error."""
    text = repr(value)
    return text if len(text) <= 20 else text[:17] + "..."


@attrs.define
class _Fields:
    document: Mapping[str, object]
    where: str

    def expect_keys(self, keys: set[str]) -> None:
        if set(self.document) != keys:
            raise FormatError(f"the {self.where} has unexpected or missing fields")

    def get(self, key: str, kind: type[_T]) -> _T:
        value = self.document.get(key)
        # bool is an int in Python; a count must not be accepted as a flag or back.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise FormatError(f"the {self.where} field {key!r} is missing or malformed")
        return value

    def hex(self, key: str, size: int | None) -> bytes:
        text = self.get(key, str)
        try:
            value = bytes.fromhex(text)
        except ValueError:
            raise FormatError(f"the {self.where} field {key!r} is not hex") from None
        if value.hex() != text or (size is not None and len(value) != size) or not value:
            raise FormatError(f"the {self.where} field {key!r} has the wrong size")
        return value

    def token(self, key: str) -> bytes:
        text = self.get(key, str)
        try:
            raw = base64.urlsafe_b64decode(text.encode("ascii"))
        except (UnicodeEncodeError, binascii.Error):
            raise FormatError(f"the {self.where} field {key!r} is not a token") from None
        if base64.urlsafe_b64encode(raw).decode("ascii") != text:
            raise FormatError(f"the {self.where} field {key!r} is not a token")
        return text.encode("ascii")


def header_digest(line: bytes) -> bytes:
    """What the index stores to authenticate the clear header."""
    return hashlib.sha256(line).digest()


def pack_record(name: bytes, sealed: bytes, token: bytes) -> bytes:
    """One entry of the index plaintext."""
    return RECORD_HEAD.pack(len(name), len(token)) + name + sealed + token


def unpack_record(record: bytes) -> tuple[bytes, bytes, bytes]:
    """(name, sealed entry key, value token) of a record made by :func:`pack_record`."""
    name_size, _ = RECORD_HEAD.unpack_from(record)
    start = RECORD_HEAD.size + name_size
    sealed_end = start + SEAL_SIZE
    return record[RECORD_HEAD.size : start], record[start:sealed_end], record[sealed_end:]


def pack_index(digest: bytes, records: Iterable[bytes], count: int) -> bytes:
    """The index plaintext: header digest, entry count, records."""
    return b"".join([digest, COUNT.pack(count), *records])


def unpack_index(plain: bytes) -> tuple[bytes, dict[str, bytes]]:
    """The header digest and the records by entry name."""
    if len(plain) < DIGEST_SIZE + COUNT.size:
        raise FormatError("its index is truncated")
    (count,) = COUNT.unpack_from(plain, DIGEST_SIZE)
    offset = DIGEST_SIZE + COUNT.size
    size = len(plain)
    entries: dict[str, bytes] = {}
    unpack = RECORD_HEAD.unpack_from
    head = RECORD_HEAD.size
    try:
        for _ in range(count):
            name_size, token_size = unpack(plain, offset)
            end = offset + head + name_size + SEAL_SIZE + token_size
            if end > size:
                raise FormatError("its index is truncated")
            name = plain[offset + head : offset + head + name_size].decode("utf-8")
            entries[name] = plain[offset:end]
            offset = end
    except (struct.error, UnicodeDecodeError):
        raise FormatError("its index is malformed") from None
    if offset != size or len(entries) != count:
        raise FormatError("its index is malformed")
    return plain[:DIGEST_SIZE], entries
