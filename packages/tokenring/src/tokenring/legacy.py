"""Reading vaults of the original TokenRing, and moving their entries here.

What the released original (PyPI ``tokenring`` 2023.4.22 and 2025.2.19) writes,
as its own code writes it (the test fixtures are made by that code: see
tests/fixtures/tokenring-original/PROVENANCE.md). One file,
``keyring.util.platform_.data_root() / "keyring.tokenvault"``
(``~/.local/share/python_keyring/keyring.tokenvault`` on Linux), holding one
JSON object written by ``json.dump`` (non-ASCII text as ``\\u`` escapes)::

    {
      "key":  KEY_HANDLE,          # opens "data"
      "data": "<hex>"              # hex of the ASCII bytes of a Fernet token
    }
    KEY_HANDLE = {
      "salt": "<hex, 32 bytes>",
      "credential": {"rp_id": "hardware.keychain.glyph.im",
                     "credential_id": "<hex>"}
    }

The Fernet key of a handle is ``urlsafe_b64encode(hmac_secret(credential,
salt))``: the key's hmac-secret output for that salt, one assertion without
user verification (python-fido2 1.x, which the original needs, leaves UV out
of an assertion that does not require it, even on a key with a PIN; only a
key with alwaysUv forces it, and that one we refuse to read). "data"
decrypts to a JSON list of rows ``[service, user, KEY_HANDLE, "<hex of a
Fernet token>"]`` in the order the entries were first set (setting one again
replaces its row in place), each token holding the UTF-8 password (possibly
empty) under its own handle's key. The original puts every row under the
vault's own credential, each with a salt of its own.

Touches of an import: one for "data", then one per two entries on the same
credential (hmac-secret takes two salts per assertion; the original took one
per touch), then one to enrol the key in the new vault (a new credential on
the same key: the vault keeps its own relying party). Nothing is written until
every entry has decrypted, and the legacy file is never changed.
"""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
from cryptography.fernet import Fernet, InvalidToken

from secrets_common.errors import UsageError, VaultError
from secrets_common.keysource import SECRET_SIZE, Credential, KeySource
from tokenring.ring import entry_name, lock_timeout

LEGACY_RP_ID = "hardware.keychain.glyph.im"
LEGACY_FILE_NAME = "keyring.tokenvault"
MAX_LEGACY_SIZE = 64 * 1024 * 1024


def default_legacy_path() -> Path:
    """Where the original kept its vault: in keyring's data directory."""
    from keyring.util.platform_ import data_root

    return Path(data_root()) / LEGACY_FILE_NAME


class LegacyFormatError(VaultError):
    """The file is not a vault of the original TokenRing, or it is damaged."""


@attrs.frozen
class KeyHandle:
    credential: Credential
    salt: bytes = attrs.field(repr=False)


@attrs.frozen
class LegacyRow:
    service: str
    user: str
    handle: KeyHandle
    token: bytes = attrs.field(repr=False)


@attrs.frozen
class LegacyVault:
    path: Path
    key: KeyHandle
    data: bytes = attrs.field(repr=False)

    @classmethod
    def load(cls, path: Path) -> LegacyVault:
        try:
            info = path.stat()
        except FileNotFoundError:
            raise UsageError(f"no file {path}") from None
        except OSError as error:
            raise LegacyFormatError(f"cannot read {path}: {error.strerror or error}") from None
        # A FIFO or device would hang or never end; no real vault is this large.
        if not stat.S_ISREG(info.st_mode):
            raise LegacyFormatError(f"{path} is not a regular file")
        if info.st_size > MAX_LEGACY_SIZE:
            raise LegacyFormatError(f"{path} is too large to be an original TokenRing vault")
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"no file {path}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise LegacyFormatError(f"cannot read {path}: {error}") from None
        try:
            document = json.loads(text)
        except ValueError:
            raise LegacyFormatError(
                f"{path} is not JSON: not an original TokenRing vault"
            ) from None
        if not isinstance(document, dict) or set(document) < {"key", "data"}:
            raise LegacyFormatError(
                f'{path} has no "key" and "data": not an original TokenRing vault'
            )
        return cls(path, _key_handle(document["key"], path), _hex(document["data"], "data", path))


def _hex(value: object, what: str, path: Path) -> bytes:
    if not isinstance(value, str):
        raise LegacyFormatError(f"{path}: {what} is not a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise LegacyFormatError(f"{path}: {what} is not valid hex") from None


def _key_handle(value: object, path: Path) -> KeyHandle:
    if not isinstance(value, dict) or not isinstance(value.get("credential"), dict):
        raise LegacyFormatError(f'{path}: a key handle needs "salt" and "credential"')
    credential: dict[str, Any] = value["credential"]
    rp_id = credential.get("rp_id")
    if not isinstance(rp_id, str):
        raise LegacyFormatError(f'{path}: a credential handle needs "rp_id"')
    salt = _hex(value.get("salt"), "a salt", path)
    if len(salt) != SECRET_SIZE:
        raise LegacyFormatError(f"{path}: a salt has {len(salt)} bytes, not {SECRET_SIZE}")
    credential_id = _hex(credential.get("credential_id"), "a credential id", path)
    return KeyHandle(Credential(rp_id=rp_id, credential_id=credential_id, uv=False), salt)


def _fernet(output: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(output))


def _decrypt(output: bytes, token: bytes, what: str, path: Path) -> bytes:
    try:
        return _fernet(output).decrypt(token)
    except InvalidToken:
        raise LegacyFormatError(
            f"{path}: {what} does not decrypt with this key (a damaged file, or one written"
            " while the key had alwaysUv on)"
        ) from None


def _rows(plaintext: bytes, path: Path) -> list[LegacyRow]:
    try:
        rows = json.loads(plaintext.decode("utf-8"))
    except ValueError:
        raise LegacyFormatError(f"{path}: the decrypted entry list is not JSON") from None
    if not isinstance(rows, list):
        raise LegacyFormatError(f"{path}: the decrypted entry list is not a list")
    parsed = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 4):
            raise LegacyFormatError(f"{path}: an entry is not [service, user, handle, data]")
        service, user, handle, token = row
        if not (isinstance(service, str) and isinstance(user, str)):
            raise LegacyFormatError(f"{path}: an entry's service or user is not text")
        parsed.append(
            LegacyRow(service, user, _key_handle(handle, path), _hex(token, "an entry", path))
        )
    return parsed


@attrs.frozen
class Opened:
    entries: list[tuple[str, str, str]] = attrs.field(repr=False)
    """(service, user, password) in file order."""
    touches: int


def read_legacy(legacy: LegacyVault, source: KeySource) -> Opened:
    """Every entry of ``legacy``, decrypted (see the module docstring for touches)."""
    touches = 0

    def derive(credential: Credential, salts: Sequence[bytes], reason: str) -> tuple[bytes, ...]:
        nonlocal touches
        derivation = source.derive([credential], salts, reason=reason)
        touches += 1
        return derivation.outputs

    (outer,) = derive(
        legacy.key.credential, [legacy.key.salt], f"open the original TokenRing vault {legacy.path}"
    )
    rows = _rows(_decrypt(outer, legacy.data, "its entry list", legacy.path), legacy.path)
    outputs: dict[int, bytes] = {}
    by_credential: dict[Credential, list[int]] = {}
    for index, row in enumerate(rows):
        by_credential.setdefault(row.handle.credential, []).append(index)
    for credential, indices in by_credential.items():
        for start in range(0, len(indices), 2):
            pair = indices[start : start + 2]
            names = " and ".join(f"{rows[i].service!r} / {rows[i].user!r}" for i in pair)
            results = derive(credential, [rows[i].handle.salt for i in pair], f"read {names}")
            outputs.update(zip(pair, results, strict=True))
    entries = []
    for index, row in enumerate(rows):
        value = _decrypt(outputs[index], row.token, f"the entry {row.service!r}", legacy.path)
        try:
            password = value.decode("utf-8")
        except UnicodeDecodeError:
            raise LegacyFormatError(
                f"{legacy.path}: the entry {row.service!r} is not text"
            ) from None
        entries.append((row.service, row.user, password))
    return Opened(entries, touches)


@attrs.frozen
class ImportReport:
    vault: Path
    imported: int
    touches: int
    warnings: list[str]
    recovery_code: str | None = attrs.field(default=None, repr=False)


def import_legacy(
    legacy_path: Path,
    vault_path: Path,
    *,
    slot_name: str = "key-1",
    source: KeySource | None = None,
    recovery: bool = False,
) -> ImportReport:
    """Create a vault at ``vault_path`` holding every entry of the legacy vault."""
    from secrets_common.vault import NewAuthenticatorSlot, NewRecoverySlot, Opener, Vault

    if vault_path.exists():
        raise UsageError(
            f"{vault_path} already exists; import into a new vault with --vault NEW_PATH"
        )
    legacy = LegacyVault.load(legacy_path)
    if source is None:
        from tokenring.keys import key_source

        source = key_source()
    opened = read_legacy(legacy, source)
    vault, code = Vault.create(
        vault_path,
        NewAuthenticatorSlot(slot_name, source),
        recovery=NewRecoverySlot() if recovery else None,
        reason=f"enrol your key in the new TokenRing vault {vault_path}",
        lock_timeout=lock_timeout(),
    )
    items = {
        entry_name(service, user): password.encode("utf-8")
        for service, user, password in opened.entries
    }
    try:
        if items:
            # Format 2: the key wraps each entry for itself, two entries per touch
            # (the first touch also asks for the index salt).
            vault.write_many(
                items,
                Opener(key_source=source),
                reason=f"store {len(items)} imported entries in {vault_path}",
            )
        warnings = vault.warnings
    finally:
        vault.lock()
    stored = (len(items) + 2) // 2 if items else 0
    return ImportReport(vault_path, len(items), opened.touches + 1 + stored, warnings, code)
