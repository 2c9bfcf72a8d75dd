"""Opening version-2 key slots with what an :class:`Opener` offers, and making new ones.

Two kinds of opening (docs/vault-format.md):

* an **everyday** security key answers one assertion over at most two salts:
  the index salt (which releases the index key and proves the header's public
  values, since the salt is their digest) and entry salts, each of which
  releases one entry key. Never more than two entries per touch.
* an **escrow** opener — the recovery code, a keyring secret, a backup key —
  unwraps the escrow private key, which unseals the index key and every entry
  key: the whole vault. A backup key's prompt says so.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs
from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from secrets_common.errors import UsageError, VaultError, WrongKeyError
from secrets_common.keysource import SECRET_SIZE, Credential, Derivation, KeySource
from secrets_common.vault import crypto, recovery
from secrets_common.vault.errors import NotEnrolledError, SlotOpenError
from secrets_common.vault.keyringio import (
    read_keyring_secret,
    store_keyring_secret,
)
from secrets_common.vault.layout import (
    BACKUP,
    EVERYDAY,
    SLOT_ID_SIZE,
    AuthenticatorSlot,
    Header,
    KeyringSlot,
    RecoverySlot,
    Slot,
)
from secrets_common.vault.opener import (
    KEYRING_SERVICE,
    KeyringBackend,
    NewAuthenticatorSlot,
    NewKeyringSlot,
    NewSlot,
    Opener,
    ScryptParams,
)

Random = Callable[[int], bytes]
WHOLE_VAULT = "open the whole vault"
"""Every prompt of an escrow opener begins with these words."""


def index_salt(header: Header) -> bytes:
    return crypto.index_salt(header.vault_id, header.epoch, header.escrow_public)


def entry_salt(header: Header, name: bytes) -> bytes:
    return crypto.entry_salt(header.vault_id, name)


def index_kek(output: bytes, vault_id: bytes) -> bytes:
    return crypto.hkdf(output, salt=vault_id, info=crypto.INFO_V2_INDEX)


def escrow_kek(material: bytes, vault_id: bytes) -> bytes:
    return crypto.hkdf(material, salt=vault_id, info=crypto.INFO_V2_ESCROW)


def entry_kek(output: bytes, vault_id: bytes, slot_id: bytes) -> bytes:
    return crypto.hkdf(output, salt=vault_id, info=crypto.INFO_V2_ENTRY + slot_id)


def wrap_aad(vault_id: bytes, slot_id: bytes, name: bytes) -> bytes:
    return vault_id + slot_id + name


def slot_summary(header: Header) -> str:
    return ", ".join(f"{slot.name!r} ({slot.kind})" for slot in header.slots)


def everyday_slots(header: Header) -> list[AuthenticatorSlot]:
    return [s for s in header.slots if isinstance(s, AuthenticatorSlot) and s.everyday]


def backup_slots(header: Header) -> list[AuthenticatorSlot]:
    return [s for s in header.slots if isinstance(s, AuthenticatorSlot) and not s.everyday]


@attrs.frozen
class Touched:
    """One everyday key's answer: its slot, the index key if asked, outputs by entry name."""

    slot: AuthenticatorSlot
    index_key: bytes | None = attrs.field(repr=False)
    outputs: dict[bytes, bytes] = attrs.field(repr=False, factory=dict)


@attrs.frozen
class Escrow:
    """What an escrow opener released: its slot and the escrow private key."""

    slot: Slot
    private: X25519PrivateKey = attrs.field(repr=False)


def touch_everyday(
    header: Header,
    path: Path,
    source: KeySource,
    names: Sequence[bytes],
    *,
    want_index: bool,
    reason: str,
    only: Sequence[AuthenticatorSlot] | None = None,
) -> Touched:
    """One assertion of an everyday key over the index salt and/or entry salts (≤ 2)."""
    salts = ([index_salt(header)] if want_index else []) + [entry_salt(header, n) for n in names]
    if not 1 <= len(salts) <= 2:
        raise ValueError("one touch asks for one or two salts")
    candidates = list(only) if only is not None else everyday_slots(header)
    if want_index:
        candidates = [slot for slot in candidates if slot.index_key is not None]
    if not candidates:
        raise not_enrolled(path, header.slots)
    derivation = derive(source, candidates, salts, path, reason=reason)
    slot = slot_of(derivation, candidates, path)
    outputs = list(derivation.outputs)
    index_key = None
    if want_index:
        index_key = _unwrap_index(header, slot, outputs.pop(0))
        if index_key is None:
            raise VaultError(
                f"slot {slot.name!r} of {path} did not open with {derivation.authenticator}: "
                "the file's public values were changed, or it is damaged"
            )
    return Touched(slot, index_key, dict(zip(names, outputs, strict=True)))


def _unwrap_index(header: Header, slot: AuthenticatorSlot, output: bytes) -> bytes | None:
    if slot.index_key is None:
        return None
    try:
        key = crypto.unwrap(index_kek(output, header.vault_id), slot.index_key)
    except InvalidToken:
        return None
    return key if len(key) == crypto.KEY_SIZE else None


def wrap_index(header: Header, output: bytes, index_key: bytes, now: int) -> bytes:
    """An everyday slot's ``index_key`` field, from its output for the index salt."""
    return crypto.wrap(index_kek(output, header.vault_id), index_key, now)


def open_escrow(header: Header, path: Path, opener: Opener, *, reason: str) -> Escrow:
    """Unwrap the escrow private key with the recovery code, a keyring secret or a backup key."""
    problems: list[str] = []
    if opener.recovery_code is not None:
        recovery_slots = [s for s in header.slots if isinstance(s, RecoverySlot)]
        if not recovery_slots:
            raise SlotOpenError(f"{path} has no recovery code slot")
        raw = recovery.parse(opener.recovery_code)
        for code_slot in recovery_slots:
            secret = crypto.scrypt(raw, code_slot.salt, code_slot.scrypt)
            private = _unwrap_escrow(header, code_slot.escrow_key, secret)
            if private is not None:
                return Escrow(code_slot, private)
        raise SlotOpenError(f"this recovery code does not open {path}")
    keyring_slots = [s for s in header.slots if isinstance(s, KeyringSlot)]
    if opener.keyring is not None and keyring_slots:
        for slot in keyring_slots:
            check_keyring_naming(header, slot, path)
            stored = read_keyring_secret(opener.keyring, slot)
            if stored is None:
                problems.append(f"the keyring holds no secret for slot {slot.name!r}")
                continue
            private = _unwrap_escrow(header, slot.escrow_key, stored)
            if private is not None:
                return Escrow(slot, private)
            problems.append(f"the keyring secret of slot {slot.name!r} does not open it")
    backups = [slot for slot in backup_slots(header) if slot.escrow_key is not None]
    if opener.key_source is not None and backups:
        derivation = derive(
            opener.key_source,
            backups,
            [header.escrow_salt],
            path,
            reason=f"{WHOLE_VAULT} with a backup key, to {reason}",
        )
        backup = slot_of(derivation, backups, path)
        private = _unwrap_escrow(header, backup.escrow_key, derivation.outputs[0])
        if private is None:
            raise VaultError(
                f"backup slot {backup.name!r} of {path} did not open with "
                f"{derivation.authenticator}: the vault file is damaged or the key was reset"
            )
        return Escrow(backup, private)
    detail = "; ".join(problems) if problems else "nothing offered fits any of its slots"
    raise SlotOpenError(f"cannot open {path}: {detail} (slots: {slot_summary(header)})")


def can_escrow(header: Header, opener: Opener) -> bool:
    """Whether ``opener`` offers a kind of escrow opener the vault has (no touch, no keyring)."""
    if opener.recovery_code is not None:
        return True
    if opener.keyring is not None and any(isinstance(s, KeyringSlot) for s in header.slots):
        return True
    return opener.key_source is not None and bool(backup_slots(header))


def _unwrap_escrow(header: Header, token: bytes | None, material: bytes) -> X25519PrivateKey | None:
    if token is None:
        return None
    try:
        raw = crypto.unwrap(escrow_kek(material, header.vault_id), token)
    except InvalidToken:
        return None
    if len(raw) != crypto.KEY_SIZE or not hmac.compare_digest(
        crypto.public_bytes(raw), header.escrow_public
    ):
        return None
    return X25519PrivateKey.from_private_bytes(raw)


def wrap_escrow(vault_id: bytes, material: bytes, escrow_private: bytes, now: int) -> bytes:
    return crypto.wrap(escrow_kek(material, vault_id), escrow_private, now)


def derive(
    source: KeySource,
    slots: Sequence[AuthenticatorSlot],
    salts: Sequence[bytes],
    path: Path,
    *,
    reason: str,
) -> Derivation:
    try:
        derivation = source.derive([slot.credential for slot in slots], salts, reason=reason)
    except WrongKeyError:
        raise not_enrolled(path, slots) from None
    if len(derivation.outputs) != len(salts) or any(
        len(o) != SECRET_SIZE for o in derivation.outputs
    ):
        raise VaultError(f"the security key gave a malformed answer while opening {path}")
    return derivation


def not_enrolled(path: Path, slots: Sequence[Slot]) -> NotEnrolledError:
    names = ", ".join(repr(slot.name) for slot in slots if isinstance(slot, AuthenticatorSlot))
    return NotEnrolledError(f"this key is not enrolled in {path}; enrolled: {names or 'none'}")


def slot_of(
    derivation: Derivation, slots: Sequence[AuthenticatorSlot], path: Path
) -> AuthenticatorSlot:
    for slot in slots:
        if _same_credential(slot.credential, derivation.credential):
            return slot
    raise not_enrolled(path, slots)


def _same_credential(a: Credential, b: Credential) -> bool:
    return a.rp_id == b.rp_id and hmac.compare_digest(a.credential_id, b.credential_id)


_USERNAME = re.compile(r"vault:([0-9a-f]{32}):[0-9a-f]{8}")


def check_keyring_naming(header: Header, slot: KeyringSlot, path: Path) -> None:
    """Refuse a keyring slot that names another vault's (or anything else's) secret.

    Asked before the keyring is: a tampered header must not make the vault
    read, or later delete, a keyring item that is not its own.
    """
    match = _USERNAME.fullmatch(slot.username)
    if slot.service != KEYRING_SERVICE or match is None or match.group(1) != header.vault_id.hex():
        raise VaultError(
            f"{path} is damaged or was tampered with: its keyring slot {slot.name!r} names "
            f"{slot.service!r} / {slot.username!r}, which is not this vault's own keyring item"
        )


@attrs.frozen
class Keys:
    """The vault-wide secrets a new slot wraps (held only for one operation)."""

    vault_id: bytes
    epoch: bytes
    escrow_salt: bytes
    index_key: bytes = attrs.field(repr=False)
    escrow_private: bytes | None = attrs.field(repr=False)
    """None when no escrow opener was used: then no escrow slot can be made."""
    escrow_public: bytes

    @classmethod
    def fresh(cls, random: Random, *, vault_id: bytes | None = None) -> Keys:
        """A new epoch, escrow salt, index key and escrow key pair (and id unless kept)."""
        private = random(crypto.KEY_SIZE)
        return cls(
            vault_id=random(16) if vault_id is None else vault_id,
            epoch=random(16),
            escrow_salt=random(crypto.KEY_SIZE),
            index_key=random(crypto.KEY_SIZE),
            escrow_private=private,
            escrow_public=crypto.public_bytes(private),
        )

    def header(self, slots: Sequence[Slot], random: Random) -> Header:
        return Header(
            vault_id=self.vault_id,
            epoch=self.epoch,
            escrow_salt=self.escrow_salt,
            escrow_public=self.escrow_public,
            index_escrow=seal_index(self, random),
            slots=tuple(slots),
        )

    @property
    def index_salt(self) -> bytes:
        return crypto.index_salt(self.vault_id, self.epoch, self.escrow_public)


def seal_index(keys: Keys, random: Random) -> bytes:
    return crypto.seal(
        keys.index_key,
        keys.escrow_public,
        random(crypto.KEY_SIZE),
        keys.vault_id + b"index",
        crypto.INFO_V2_SEAL,
    )


def unseal_index(header: Header, private: X25519PrivateKey) -> bytes:
    return crypto.unseal(
        header.index_escrow,
        private,
        header.escrow_public,
        header.vault_id + b"index",
        crypto.INFO_V2_SEAL,
    )


def check_new_name(spec: NewSlot, existing: Sequence[Slot]) -> None:
    if any(slot.name == spec.name for slot in existing):
        raise UsageError(f"there is already a slot called {spec.name!r}")
    if not spec.name or not spec.name.isprintable():
        raise UsageError(f"a slot name must be printable and non-empty, got {spec.name!r}")


def enrol_authenticator(
    spec: NewAuthenticatorSlot,
    keys: Keys,
    *,
    existing: Sequence[Slot],
    reason: str,
    random: Random,
    now: int,
) -> tuple[AuthenticatorSlot, Derivation]:
    """A new authenticator slot (one touch with hmac-secret-mc) and its enrolment answer.

    An everyday key derives the index salt, a backup key the escrow salt.
    """
    check_new_name(spec, existing)
    role = BACKUP if spec.backup else EVERYDAY
    if role == BACKUP and keys.escrow_private is None:
        raise UsageError("adding a backup key needs the recovery code or another backup key")
    salt = keys.index_salt if role == EVERYDAY else keys.escrow_salt
    derivation = spec.key_source.enroll(
        rp_id=spec.rp_id,
        user_name=spec.user_name,
        salts=[salt],
        reason=reason,
        exclude=[s.credential for s in existing if isinstance(s, AuthenticatorSlot)],
    )
    if len(derivation.outputs) != 1 or len(derivation.outputs[0]) != SECRET_SIZE:
        raise VaultError("the security key gave a malformed answer during enrolment")
    taken = {s.slot_id for s in existing if isinstance(s, AuthenticatorSlot)}
    slot_id = random(SLOT_ID_SIZE)
    while slot_id in taken:
        slot_id = random(SLOT_ID_SIZE)
    output = derivation.outputs[0]
    if role == EVERYDAY:
        wrapped = crypto.wrap(index_kek(output, keys.vault_id), keys.index_key, now)
        slot = AuthenticatorSlot(spec.name, derivation.credential, role, slot_id, index_key=wrapped)
    else:
        escrow_private = keys.escrow_private
        if escrow_private is None:  # checked above; narrows the type for mypy
            raise UsageError("adding a backup key needs the escrow key")
        wrapped = wrap_escrow(keys.vault_id, output, escrow_private, now)
        slot = AuthenticatorSlot(
            spec.name, derivation.credential, role, slot_id, escrow_key=wrapped
        )
    return slot, derivation


def make_escrow_slot(
    spec: NewKeyringSlot | NewSlot,
    keys: Keys,
    *,
    existing: Sequence[Slot],
    random: Random,
    now: int,
) -> tuple[Slot, str | None]:
    """A new keyring or recovery slot wrapping the escrow private key (and the code)."""
    check_new_name(spec, existing)
    if keys.escrow_private is None:
        raise UsageError(
            "this needs the escrow key: open the vault with the recovery code or a backup key"
        )
    if isinstance(spec, NewKeyringSlot):
        return keyring_slot(spec.name, spec.backend, keys, random, now), None
    if isinstance(spec, NewAuthenticatorSlot):
        raise TypeError("an authenticator slot is enrolled, not made")
    if any(isinstance(slot, RecoverySlot) for slot in existing):
        raise UsageError("the vault already has a recovery code; rotate to get a new one")
    return recovery_slot(spec.name, spec.scrypt, keys, random, now)


def keyring_slot(
    name: str, backend: KeyringBackend, keys: Keys, random: Random, now: int
) -> KeyringSlot:
    """A keyring slot with a fresh secret, stored in ``backend`` first."""
    if keys.escrow_private is None:
        raise UsageError("a keyring slot needs the escrow key")
    secret = random(crypto.KEY_SIZE)
    username = f"vault:{keys.vault_id.hex()}:{random(4).hex()}"
    store_keyring_secret(backend, KEYRING_SERVICE, username, secret)
    wrapped = wrap_escrow(keys.vault_id, secret, keys.escrow_private, now)
    return KeyringSlot(name, KEYRING_SERVICE, username, wrapped)


def recovery_slot(
    name: str, scrypt: ScryptParams, keys: Keys, random: Random, now: int
) -> tuple[RecoverySlot, str]:
    """A recovery slot with a fresh code, and that code."""
    if keys.escrow_private is None:
        raise UsageError("a recovery code needs the escrow key")
    code, raw = recovery.generate(random)
    salt = random(16)
    secret = crypto.scrypt(raw, salt, scrypt)
    wrapped = wrap_escrow(keys.vault_id, secret, keys.escrow_private, now)
    return RecoverySlot(name, scrypt, salt, wrapped), code
