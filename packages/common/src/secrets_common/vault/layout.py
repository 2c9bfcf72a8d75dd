"""The vault file format, version 2: parsing and writing, no cryptography.

A file is one line of JSON (the clear header), a newline, then the encrypted
index: a Fernet token stored as raw bytes. See docs/vault-format.md for the
field-by-field description; version 1 lives on in :mod:`v1layout` (read only,
converted on the first write).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from secrets_common.keysource import Credential
from secrets_common.vault.crypto import BOX_SIZE, KEY_SIZE, SEAL_SIZE
from secrets_common.vault.opener import ScryptParams
from secrets_common.vault.v1layout import FORMAT_NAME, ID_SIZE, MAX_NAME, FormatError, _Fields
from secrets_common.vault.v1layout import _shown as shown

VERSION = 2
SLOT_ID_SIZE = 8
EVERYDAY = "everyday"
BACKUP = "backup"
ROLES = (EVERYDAY, BACKUP)
RECORD_HEAD = struct.Struct("<HIB")
"""Per entry: name length (bytes of UTF-8), value token length, number of key wraps."""
WRAP_SIZE = SLOT_ID_SIZE + BOX_SIZE
INDEX_HEAD = struct.Struct("<QI")
"""After the header digest: generation, number of entries."""
DIGEST_SIZE = 32
MAX_WRAPS = 255

__all__ = [
    "BACKUP",
    "EVERYDAY",
    "FORMAT_NAME",
    "ID_SIZE",
    "MAX_NAME",
    "VERSION",
    "AuthenticatorSlot",
    "FormatError",
    "Header",
    "KeyringSlot",
    "Record",
    "RecoverySlot",
    "Slot",
]


@attrs.frozen
class AuthenticatorSlot:
    """A security key's credential.

    An *everyday* key wraps the index key under its output for the index
    salt and, entry by entry, each entry key under its output for that
    entry's salt. A *backup* key wraps the escrow private key, which opens
    every entry: it is the whole vault in one touch, kept in a drawer.
    ``None`` marks a wrap that a re-key left to be renewed by ``sync``.
    """

    name: str
    credential: Credential
    role: str
    slot_id: bytes
    index_key: bytes | None = attrs.field(default=None, repr=False)
    escrow_key: bytes | None = attrs.field(default=None, repr=False)
    kind = "authenticator"

    @property
    def everyday(self) -> bool:
        return self.role == EVERYDAY


@attrs.frozen
class KeyringSlot:
    """A random secret in the OS keyring; it wraps the escrow private key."""

    name: str
    service: str
    username: str
    escrow_key: bytes = attrs.field(repr=False)
    kind = "keyring"


@attrs.frozen
class RecoverySlot:
    """A recovery code stretched with scrypt; it wraps the escrow private key."""

    name: str
    scrypt: ScryptParams
    salt: bytes
    escrow_key: bytes = attrs.field(repr=False)
    kind = "recovery"


Slot = AuthenticatorSlot | KeyringSlot | RecoverySlot


@attrs.frozen
class Header:
    """Everything in the clear; authenticated by its digest inside the index."""

    vault_id: bytes
    epoch: bytes
    """Random, renewed by every re-key: part of the index salt."""
    escrow_salt: bytes
    escrow_public: bytes
    index_escrow: bytes
    """The index key sealed to the escrow public key (for escrow openers)."""
    slots: tuple[Slot, ...]

    def slot(self, name: str) -> Slot | None:
        return next((slot for slot in self.slots if slot.name == name), None)


def encode_header(header: Header) -> bytes:
    """The header line (without its newline)."""
    document = {
        "format": FORMAT_NAME,
        "version": VERSION,
        "vault_id": header.vault_id.hex(),
        "epoch": header.epoch.hex(),
        "escrow_salt": header.escrow_salt.hex(),
        "escrow_public_key": header.escrow_public.hex(),
        "index_escrow": header.index_escrow.hex(),
        "slots": [_encode_slot(slot) for slot in header.slots],
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _token_text(token: bytes | None) -> str | None:
    return None if token is None else token.decode("ascii")


def _encode_slot(slot: Slot) -> dict[str, Any]:
    if isinstance(slot, AuthenticatorSlot):
        document: dict[str, Any] = {
            "kind": slot.kind,
            "name": slot.name,
            "role": slot.role,
            "id": slot.slot_id.hex(),
            "rp_id": slot.credential.rp_id,
            "credential_id": slot.credential.credential_id.hex(),
            "uv": slot.credential.uv,
        }
        if slot.everyday:
            document["index_key"] = _token_text(slot.index_key)
        else:
            document["escrow_key"] = _token_text(slot.escrow_key)
        return document
    if isinstance(slot, KeyringSlot):
        return {
            "kind": slot.kind,
            "name": slot.name,
            "service": slot.service,
            "username": slot.username,
            "escrow_key": _token_text(slot.escrow_key),
        }
    return {
        "kind": slot.kind,
        "name": slot.name,
        "scrypt": {"n": slot.scrypt.n, "r": slot.scrypt.r, "p": slot.scrypt.p},
        "salt": slot.salt.hex(),
        "escrow_key": _token_text(slot.escrow_key),
    }


def version_of(line: bytes) -> int:
    """The format version of a header line (FormatError if it is no vault)."""
    try:
        document = json.loads(line)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: how json gives up on deeply nested arrays.
        raise FormatError("it is not a secrets vault (the header is not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise FormatError("it is not a secrets vault")
    version = document.get("version")
    if version not in (1, VERSION) or isinstance(version, bool):
        raise FormatError(
            f"it has format version {shown(version)}; this toolkit reads versions 1 and 2"
        )
    return int(version)


def decode_header(line: bytes) -> Header:
    """Parse and validate a version-2 header line; FormatError names what is wrong."""
    if version_of(line) != VERSION:
        raise FormatError("it is not a version-2 vault")
    fields = _Fields(json.loads(line), "header")
    fields.expect_keys(
        {
            "format",
            "version",
            "vault_id",
            "epoch",
            "escrow_salt",
            "escrow_public_key",
            "index_escrow",
            "slots",
        }
    )
    slots = tuple(_decode_slot(item) for item in fields.get("slots", list))
    if not slots:
        raise FormatError("it has no key slots")
    names = [slot.name for slot in slots]
    if len(set(names)) != len(names):
        raise FormatError("two of its slots have the same name")
    ids = [slot.slot_id for slot in slots if isinstance(slot, AuthenticatorSlot)]
    if len(set(ids)) != len(ids):
        raise FormatError("two of its slots have the same id")
    if sum(isinstance(slot, RecoverySlot) for slot in slots) > 1:
        raise FormatError("it has more than one recovery slot")
    return Header(
        vault_id=fields.hex("vault_id", ID_SIZE),
        epoch=fields.hex("epoch", ID_SIZE),
        escrow_salt=fields.hex("escrow_salt", KEY_SIZE),
        escrow_public=fields.hex("escrow_public_key", KEY_SIZE),
        index_escrow=fields.hex("index_escrow", SEAL_SIZE),
        slots=slots,
    )


def _optional_token(fields: _Fields, key: str) -> bytes | None:
    if fields.document.get(key) is None and key in fields.document:
        return None
    return fields.token(key)


def _decode_slot(item: object) -> Slot:
    if not isinstance(item, dict):
        raise FormatError("a slot is not a JSON object")
    fields = _Fields(item, "slot")
    kind = fields.get("kind", str)
    name = fields.get("name", str)
    if kind == AuthenticatorSlot.kind:
        role = fields.get("role", str)
        if role not in ROLES:
            raise FormatError(f"a slot has the unknown role {shown(role)}")
        wrap = "index_key" if role == EVERYDAY else "escrow_key"
        fields.expect_keys({"kind", "name", "role", "id", "rp_id", "credential_id", "uv", wrap})
        credential = Credential(
            rp_id=fields.get("rp_id", str),
            credential_id=fields.hex("credential_id", None),
            uv=fields.get("uv", bool),
        )
        token = _optional_token(fields, wrap)
        return AuthenticatorSlot(
            name,
            credential,
            role,
            fields.hex("id", SLOT_ID_SIZE),
            index_key=token if role == EVERYDAY else None,
            escrow_key=token if role == BACKUP else None,
        )
    if kind == KeyringSlot.kind:
        fields.expect_keys({"kind", "name", "service", "username", "escrow_key"})
        return KeyringSlot(
            name,
            fields.get("service", str),
            fields.get("username", str),
            fields.token("escrow_key"),
        )
    if kind == RecoverySlot.kind:
        fields.expect_keys({"kind", "name", "scrypt", "salt", "escrow_key"})
        cost = _Fields(fields.get("scrypt", dict), "scrypt")
        cost.expect_keys({"n", "r", "p"})
        try:
            params = ScryptParams(cost.get("n", int), cost.get("r", int), cost.get("p", int))
        except ValueError as error:
            raise FormatError(str(error)) from None
        return RecoverySlot(name, params, fields.hex("salt", ID_SIZE), fields.token("escrow_key"))
    raise FormatError(f"a slot has the unknown kind {shown(kind)}")


def header_digest(line: bytes) -> bytes:
    """What the index stores to authenticate the clear header."""
    return hashlib.sha256(line).digest()


@attrs.frozen
class Record:
    """One entry: its key sealed to the escrow key, wrapped per everyday slot, and its value."""

    name: bytes
    sealed: bytes = attrs.field(repr=False)
    wraps: Mapping[bytes, bytes] = attrs.field(repr=False)
    """Everyday slot id → the entry key boxed under that key's output for the entry salt."""
    token: bytes = attrs.field(repr=False)


def pack_record(record: Record) -> bytes:
    """One entry of the index plaintext."""
    if len(record.wraps) > MAX_WRAPS:
        raise ValueError("too many key wraps for one entry")
    parts = [
        RECORD_HEAD.pack(len(record.name), len(record.token), len(record.wraps)),
        record.name,
        record.sealed,
    ]
    for slot_id, boxed in sorted(record.wraps.items()):
        parts += (slot_id, boxed)
    parts.append(record.token)
    return b"".join(parts)


def unpack_record(raw: bytes) -> Record:
    """Inverse of :func:`pack_record` (for a record :func:`unpack_index` delimited)."""
    name_size, _, count = RECORD_HEAD.unpack_from(raw)
    offset = RECORD_HEAD.size
    name = raw[offset : offset + name_size]
    offset += name_size
    sealed = raw[offset : offset + SEAL_SIZE]
    offset += SEAL_SIZE
    wraps = {}
    for _ in range(count):
        wraps[raw[offset : offset + SLOT_ID_SIZE]] = raw[offset + SLOT_ID_SIZE : offset + WRAP_SIZE]
        offset += WRAP_SIZE
    return Record(name, sealed, wraps, raw[offset:])


def record_has_wrap(raw: bytes, slot_id: bytes) -> bool:
    """Whether the packed record holds a wrap for ``slot_id`` (no full parse)."""
    name_size, _, count = RECORD_HEAD.unpack_from(raw)
    offset = RECORD_HEAD.size + name_size + SEAL_SIZE
    for index in range(count):
        start = offset + index * WRAP_SIZE
        if raw[start : start + SLOT_ID_SIZE] == slot_id:
            return True
    return False


def pack_index(digest: bytes, generation: int, records: Iterable[bytes], count: int) -> bytes:
    """The index plaintext: header digest, generation, entry count, records."""
    return b"".join([digest, INDEX_HEAD.pack(generation, count), *records])


def unpack_index(plain: bytes) -> tuple[bytes, int, dict[str, bytes]]:
    """The header digest, the generation and the packed records by entry name."""
    start = DIGEST_SIZE + INDEX_HEAD.size
    if len(plain) < start:
        raise FormatError("its index is truncated")
    generation, count = INDEX_HEAD.unpack_from(plain, DIGEST_SIZE)
    offset = start
    size = len(plain)
    entries: dict[str, bytes] = {}
    unpack = RECORD_HEAD.unpack_from
    head = RECORD_HEAD.size
    try:
        for _ in range(count):
            name_size, token_size, wraps = unpack(plain, offset)
            end = offset + head + name_size + SEAL_SIZE + wraps * WRAP_SIZE + token_size
            if end > size or not name_size:
                raise FormatError("its index is truncated")
            name = plain[offset + head : offset + head + name_size].decode("utf-8")
            entries[name] = plain[offset:end]
            offset = end
    except (struct.error, UnicodeDecodeError):
        raise FormatError("its index is malformed") from None
    if offset != size or len(entries) != count:
        raise FormatError("its index is malformed")
    return plain[:DIGEST_SIZE], generation, entries
