"""Turning what an :class:`Opener` offers into a slot's keys, and making new slots.

Every slot, whatever its kind, yields two pieces of secret material; HKDF
turns them into KEK_index (wraps the index key) and KEK_read (wraps the read
private key). An authenticator slot's two pieces are the hmac-secret outputs
for the vault's index and read salts, so a read that only needs KEK_read asks
the key for the read salt alone. Keyring and recovery slots have one secret,
used for both.
"""

from __future__ import annotations

import hmac
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
from secrets_common.vault.opener import (
    KeyringBackend,
    NewAuthenticatorSlot,
    NewKeyringSlot,
    NewSlot,
    Opener,
    ScryptParams,
)
from secrets_common.vault.v1layout import (
    ID_SIZE,
    AuthenticatorSlot,
    Header,
    KeyringSlot,
    RecoverySlot,
    Slot,
)

Random = Callable[[int], bytes]


@attrs.frozen
class Material:
    """A slot's secret inputs to the two KEKs (either may be absent)."""

    index: bytes | None = attrs.field(repr=False)
    read: bytes | None = attrs.field(repr=False)


@attrs.frozen
class Released:
    """What opening one slot released: the slot and the keys asked for."""

    slot: Slot
    index_key: bytes | None = attrs.field(repr=False)
    read_private: X25519PrivateKey | None = attrs.field(repr=False)


@attrs.frozen
class Wanted:
    index: bool
    read: bool


def index_kek(material: bytes, vault_id: bytes) -> bytes:
    return crypto.hkdf(material, salt=vault_id, info=crypto.INFO_INDEX)


def read_kek(material: bytes, vault_id: bytes) -> bytes:
    return crypto.hkdf(material, salt=vault_id, info=crypto.INFO_READ)


def slot_summary(header: Header) -> str:
    return ", ".join(f"{slot.name!r} ({slot.kind})" for slot in header.slots)


def open_any(
    header: Header, path: Path, opener: Opener, wanted: Wanted, *, reason: str
) -> Released:
    """Open the cheapest slot ``opener`` can open, releasing the keys ``wanted``."""
    problems: list[str] = []
    recovery_slots = [s for s in header.slots if isinstance(s, RecoverySlot)]
    if opener.recovery_code is not None:
        if not recovery_slots:
            raise SlotOpenError(f"{path} has no recovery code slot")
        raw = recovery.parse(opener.recovery_code)
        for recovery_slot in recovery_slots:
            secret = crypto.scrypt(raw, recovery_slot.salt, recovery_slot.scrypt)
            released = _try_release(header, recovery_slot, Material(secret, secret), wanted)
            if released is not None:
                return released
        raise SlotOpenError(f"this recovery code does not open {path}")
    keyring_slots = [s for s in header.slots if isinstance(s, KeyringSlot)]
    if opener.keyring is not None and keyring_slots:
        for slot in keyring_slots:
            stored = read_keyring_secret(opener.keyring, slot)
            if stored is None:
                problems.append(f"the keyring holds no secret for slot {slot.name!r}")
                continue
            released = _try_release(header, slot, Material(stored, stored), wanted)
            if released is not None:
                return released
            problems.append(f"the keyring secret of slot {slot.name!r} does not open it")
    authenticator_slots = [s for s in header.slots if isinstance(s, AuthenticatorSlot)]
    if opener.key_source is not None and authenticator_slots:
        return _open_authenticator(
            header, path, opener.key_source, authenticator_slots, wanted, reason=reason
        )
    detail = "; ".join(problems) if problems else "nothing offered fits any of its slots"
    raise SlotOpenError(f"cannot open {path}: {detail} (slots: {slot_summary(header)})")


def _open_authenticator(
    header: Header,
    path: Path,
    source: KeySource,
    slots: Sequence[AuthenticatorSlot],
    wanted: Wanted,
    *,
    reason: str,
) -> Released:
    salts = [
        salt
        for salt, want in ((header.index_salt, wanted.index), (header.read_salt, wanted.read))
        if want
    ]
    derivation = _derive(source, slots, salts, path, reason=reason)
    slot = _slot_of(derivation, slots, path)
    outputs = list(derivation.outputs)
    if len(outputs) != len(salts) or any(len(o) != SECRET_SIZE for o in outputs):
        raise VaultError(f"the security key gave a malformed answer while opening {path}")
    material = Material(
        outputs.pop(0) if wanted.index else None, outputs.pop(0) if wanted.read else None
    )
    released = _try_release(header, slot, material, wanted)
    if released is None:
        raise VaultError(
            f"slot {slot.name!r} of {path} did not open with {derivation.authenticator}: "
            "the vault file is damaged or the key's credential was reset"
        )
    return released


def _derive(
    source: KeySource,
    slots: Sequence[AuthenticatorSlot],
    salts: Sequence[bytes],
    path: Path,
    *,
    reason: str,
) -> Derivation:
    try:
        return source.derive([slot.credential for slot in slots], salts, reason=reason)
    except WrongKeyError:
        raise not_enrolled(path, slots) from None


def not_enrolled(path: Path, slots: Sequence[Slot]) -> NotEnrolledError:
    names = ", ".join(repr(slot.name) for slot in slots if isinstance(slot, AuthenticatorSlot))
    return NotEnrolledError(f"this key is not enrolled in {path}; enrolled: {names}")


def _slot_of(
    derivation: Derivation, slots: Sequence[AuthenticatorSlot], path: Path
) -> AuthenticatorSlot:
    for slot in slots:
        if _same_credential(slot.credential, derivation.credential):
            return slot
    raise not_enrolled(path, slots)


def _same_credential(a: Credential, b: Credential) -> bool:
    return a.rp_id == b.rp_id and hmac.compare_digest(a.credential_id, b.credential_id)


def _try_release(header: Header, slot: Slot, material: Material, wanted: Wanted) -> Released | None:
    """The keys behind ``slot``, or None when ``material`` is not its secret."""
    try:
        index_key = None
        private = None
        if wanted.index:
            if material.index is None:
                return None
            index_key = crypto.unwrap(index_kek(material.index, header.vault_id), slot.index_key)
            if len(index_key) != crypto.KEY_SIZE:
                return None
        if wanted.read:
            if material.read is None:
                return None
            raw = crypto.unwrap(read_kek(material.read, header.vault_id), slot.read_key)
            if len(raw) != crypto.KEY_SIZE or not hmac.compare_digest(
                crypto.public_bytes(raw), header.read_public
            ):
                return None
            private = X25519PrivateKey.from_private_bytes(raw)
    except InvalidToken:
        return None
    return Released(slot, index_key, private)


@attrs.frozen
class Keys:
    """The keys a new slot wraps (held only for the duration of one operation)."""

    vault_id: bytes
    index_salt: bytes
    read_salt: bytes
    index_key: bytes = attrs.field(repr=False)
    read_private: bytes = attrs.field(repr=False)

    @classmethod
    def fresh(cls, random: Random, *, vault_id: bytes | None = None) -> Keys:
        """New salts, index key and read key pair (and a vault id unless kept)."""
        read_private = random(crypto.KEY_SIZE)
        return cls(
            vault_id=random(ID_SIZE) if vault_id is None else vault_id,
            index_salt=random(crypto.KEY_SIZE),
            read_salt=random(crypto.KEY_SIZE),
            index_key=random(crypto.KEY_SIZE),
            read_private=read_private,
        )

    def header(self, slots: Sequence[Slot], *, epoch: bytes) -> Header:
        """The clear header of a file written under these keys."""
        return Header(
            vault_id=self.vault_id,
            epoch=epoch,
            index_salt=self.index_salt,
            read_salt=self.read_salt,
            read_public=crypto.public_bytes(self.read_private),
            slots=tuple(slots),
        )


def make_slot(
    spec: NewSlot,
    keys: Keys,
    *,
    existing: Sequence[Slot],
    reason: str,
    random: Random,
    now: int,
) -> tuple[Slot, str | None]:
    """A new slot wrapping ``keys``, and the recovery code if it is one."""
    if any(slot.name == spec.name for slot in existing):
        raise UsageError(f"there is already a slot called {spec.name!r}")
    if not spec.name or not spec.name.isprintable():
        raise UsageError(f"a slot name must be printable and non-empty, got {spec.name!r}")
    if isinstance(spec, NewAuthenticatorSlot):
        derivation = spec.key_source.enroll(
            rp_id=spec.rp_id,
            user_name=spec.user_name,
            salts=[keys.index_salt, keys.read_salt],
            reason=reason,
            exclude=[s.credential for s in existing if isinstance(s, AuthenticatorSlot)],
        )
        if len(derivation.outputs) != 2 or any(len(o) != SECRET_SIZE for o in derivation.outputs):
            raise VaultError("the security key gave a malformed answer during enrolment")
        index_wrapped, read_wrapped = _wrap(keys, Material(*derivation.outputs), now)
        return AuthenticatorSlot(
            spec.name, derivation.credential, index_wrapped, read_wrapped
        ), None
    if isinstance(spec, NewKeyringSlot):
        return _keyring_slot(spec.name, spec.service, spec.backend, keys, random, now), None
    if any(isinstance(slot, RecoverySlot) for slot in existing):
        raise UsageError("the vault already has a recovery code; rotate to get a new one")
    return _recovery_slot(spec.name, spec.scrypt, keys, random, now)


def _keyring_slot(
    name: str, service: str, backend: KeyringBackend, keys: Keys, random: Random, now: int
) -> KeyringSlot:
    """A keyring slot with a fresh secret, stored in ``backend`` first."""
    secret = random(crypto.KEY_SIZE)
    username = f"vault:{keys.vault_id.hex()}:{random(4).hex()}"
    store_keyring_secret(backend, service, username, secret)
    index_wrapped, read_wrapped = _wrap(keys, Material(secret, secret), now)
    return KeyringSlot(name, service, username, index_wrapped, read_wrapped)


def _recovery_slot(
    name: str, scrypt: ScryptParams, keys: Keys, random: Random, now: int
) -> tuple[RecoverySlot, str]:
    """A recovery slot with a fresh code, and that code."""
    code, raw = recovery.generate(random)
    salt = random(16)
    secret = crypto.scrypt(raw, salt, scrypt)
    index_wrapped, read_wrapped = _wrap(keys, Material(secret, secret), now)
    return RecoverySlot(name, scrypt, salt, index_wrapped, read_wrapped), code


def _wrap(keys: Keys, material: Material, now: int) -> tuple[bytes, bytes]:
    if material.index is None or material.read is None:
        raise ValueError("a new slot needs both pieces of material")
    return (
        crypto.wrap(index_kek(material.index, keys.vault_id), keys.index_key, now),
        crypto.wrap(read_kek(material.read, keys.vault_id), keys.read_private, now),
    )


def rewrap(
    header: Header,
    new: Keys,
    opener: Opener,
    *,
    reason: str,
    random: Random,
    now: int,
    path: Path,
) -> tuple[list[Slot], str | None, list[KeyringSlot]]:
    """Every slot of ``header`` re-made for the ``new`` keys (used by rotation).

    Returns the new slots (same order), the new recovery code if any, and the
    keyring slots whose old secrets can be deleted once the file is written.
    """
    slots: list[Slot] = []
    code: str | None = None
    stale: list[KeyringSlot] = []
    authenticators = {
        slot.name: slot for slot in header.slots if isinstance(slot, AuthenticatorSlot)
    }
    fresh: dict[str, AuthenticatorSlot] = {}
    pending = dict(authenticators)
    while pending:
        if opener.key_source is None:
            raise UsageError("rotating needs the security keys of every authenticator slot")
        try:
            derivation = opener.key_source.derive(
                [slot.credential for slot in pending.values()],
                [new.index_salt, new.read_salt],
                reason=f"{reason} (still to touch: {', '.join(map(repr, pending))})",
            )
        except WrongKeyError:
            raise VaultError(
                f"rotating {path} needs every enrolled key; not reached: "
                f"{', '.join(map(repr, pending))} (connect it, or remove its slot first)"
            ) from None
        slot = _slot_of(derivation, list(pending.values()), path)
        if len(derivation.outputs) != 2 or any(len(o) != SECRET_SIZE for o in derivation.outputs):
            raise VaultError("the security key gave a malformed answer during rotation")
        index_wrapped, read_wrapped = _wrap(new, Material(*derivation.outputs), now)
        fresh[slot.name] = attrs.evolve(slot, index_key=index_wrapped, read_key=read_wrapped)
        del pending[slot.name]
    for old in header.slots:
        if isinstance(old, AuthenticatorSlot):
            slots.append(fresh[old.name])
        elif isinstance(old, KeyringSlot):
            if opener.keyring is None:
                raise UsageError(f"rotating needs the keyring that holds slot {old.name!r}")
            slots.append(_keyring_slot(old.name, old.service, opener.keyring, new, random, now))
            stale.append(old)
        else:
            recovery_slot, code = _recovery_slot(old.name, old.scrypt, new, random, now)
            slots.append(recovery_slot)
    return slots, code, stale
