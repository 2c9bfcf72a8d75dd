"""The :class:`Vault`: named secret entries in one file, opened through key slots.

Touch costs with an authenticator slot (see docs/vault-format.md):

========================  =======
operation                 touches
========================  =======
``unlock``                1
``read`` (locked)         1 (unlocks too)
``read`` (unlocked)       1, every time
``write``/``delete``      0 (needs ``unlock``)
``names``                 0 (needs ``unlock``)
``enroll``                1 on an enrolled key + the new key's enrolment
``rotate``                1 on an enrolled key + 1 per authenticator slot
========================  =======

A Vault object is not thread-safe; processes are serialised by a lock file.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs
from cryptography.fernet import InvalidToken

from secrets_common.errors import NotFoundError, UsageError, VaultError
from secrets_common.vault import crypto, layout
from secrets_common.vault import slots as keyslots
from secrets_common.vault.errors import NotUnlockedError, VaultRekeyedError
from secrets_common.vault.layout import AuthenticatorSlot, FormatError, Header, RecoverySlot
from secrets_common.vault.opener import (
    KeyringBackend,
    NewRecoverySlot,
    NewSlot,
    Opener,
    ScryptParams,
)
from secrets_common.vault.storage import Stamp, VaultFile

Random = Callable[[int], bytes]
Clock = Callable[[], float]


@attrs.frozen
class SlotInfo:
    """A key slot as listed to the user (public data only)."""

    name: str
    kind: str
    """``"authenticator"``, ``"keyring"`` or ``"recovery"``."""
    detail: str
    """Human description: rp id and credential id prefix, keyring user, scrypt cost."""


@attrs.define
class _Loaded:
    """One version of the file as read: header line, parsed header, raw index."""

    line: bytes
    header: Header
    body: bytes
    stamp: Stamp


class Vault:
    """One vault file. Construct with :meth:`create` or :meth:`open`.

    While unlocked, the object holds the index key and public values only: the
    private key that unseals entry keys is re-derived for every read, and no
    hmac-secret output outlives the call that asked for it.
    """

    def __init__(self, file: VaultFile, loaded: _Loaded, *, random: Random, clock: Clock) -> None:
        """Internal: use :meth:`create` or :meth:`open`."""
        self._file = file
        self._loaded = loaded
        self._random = random
        self._clock = clock
        self._index_key: bytes | None = None
        self._entries: dict[str, bytes] = {}

    def __repr__(self) -> str:
        state = "unlocked" if self._index_key is not None else "locked"
        return f"<Vault {str(self.path)!r} {state}>"

    # -- construction ---------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        first_slot: NewSlot,
        *,
        recovery: NewRecoverySlot | None = None,
        reason: str = "create a vault",
        random: Random = os.urandom,
        clock: Clock = time.time,
        lock_timeout: float = 10.0,
    ) -> tuple[Vault, str | None]:
        """Create a new, empty vault at ``path`` and return it unlocked.

        ``first_slot`` costs one touch for an authenticator (with
        hmac-secret-mc). With ``recovery``, a recovery slot is added too and
        its code returned (show it once; it is stored nowhere). Refuses to
        overwrite an existing file. The parent directory is created 0700.
        """
        file = VaultFile(Path(path), lock_timeout)
        if file.exists():
            raise UsageError(f"{file.path} already exists")
        file.create_directory()
        keys = keyslots.Keys.fresh(random)
        now = int(clock())
        made: list[layout.Slot] = []
        code = None
        for spec in (first_slot, recovery):
            if spec is None:
                continue
            slot, new_code = keyslots.make_slot(
                spec, keys, existing=made, reason=reason, random=random, now=now
            )
            made.append(slot)
            code = new_code or code
        header = keys.header(made, epoch=random(layout.ID_SIZE))
        with file.locked():
            if file.exists():
                raise UsageError(f"{file.path} already exists")
            line, body = _seal_file(header, keys.index_key, {}, now, random(16))
            stamp = file.replace(line + b"\n" + body)
        vault = cls(file, _Loaded(line, header, body, stamp), random=random, clock=clock)
        vault._index_key = keys.index_key
        return vault, code

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        random: Random = os.urandom,
        clock: Clock = time.time,
        lock_timeout: float = 10.0,
    ) -> Vault:
        """Open the vault file at ``path``, locked (no touch).

        Checks the file's mode and its clear header; the slots can be listed.
        Raises NotFoundError if the file does not exist and VaultError if it
        is unsafe or not a vault.
        """
        file = VaultFile(Path(path), lock_timeout)
        return cls(file, _load(file), random=random, clock=clock)

    # -- state ----------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The vault file."""
        return self._file.path

    @property
    def vault_id(self) -> str:
        """A random identifier given at creation (hex), stable across rotations."""
        return self._loaded.header.vault_id.hex()

    @property
    def is_unlocked(self) -> bool:
        """Whether the index key is held (names, write and delete work)."""
        return self._index_key is not None

    def unlock(self, opener: Opener, *, reason: str) -> Vault:
        """Open one slot to obtain the index key (1 touch for an authenticator).

        Returns ``self``. Raises NotEnrolledError (naming the enrolled slots)
        when the connected key is not enrolled, SlotOpenError when nothing in
        ``opener`` fits any slot, VaultError when the file is corrupt.
        """
        self._refresh()
        released = self._release(opener, keyslots.Wanted(index=True, read=False), reason=reason)
        self._adopt(released.index_key)
        return self

    def lock(self) -> None:
        """Forget the index key."""
        self._index_key = None
        self._entries = {}

    # -- entries --------------------------------------------------------------

    def names(self) -> list[str]:
        """Every entry name, sorted (needs unlock; 0 touches)."""
        self._refresh()
        self._need_unlocked()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        """Whether an entry ``name`` exists (needs unlock; 0 touches)."""
        self._refresh()
        self._need_unlocked()
        return name in self._entries

    def __len__(self) -> int:
        """The number of entries (needs unlock; 0 touches)."""
        self._refresh()
        self._need_unlocked()
        return len(self._entries)

    def read(self, name: str, opener: Opener, *, reason: str) -> bytes:
        """The value of entry ``name``: one fresh touch, every time.

        On a locked vault the same single touch unlocks it as well. Raises
        NotFoundError if there is no such entry (after the touch when locked).
        """
        encoded = _name_bytes(name)
        self._refresh()
        locked = self._index_key is None
        released = self._release(opener, keyslots.Wanted(index=locked, read=True), reason=reason)
        if locked:
            self._adopt(released.index_key)
        private = released.read_private
        if private is None:
            raise VaultError(f"the read key of {self.path} was not released")
        record = self._entries.get(name)
        if record is None:
            raise NotFoundError(f"no entry {name!r} in {self.path}")
        _, sealed, token = layout.unpack_record(record)
        try:
            entry_key = crypto.unseal(sealed, private, self._loaded.header.read_public, encoded)
            return crypto.decrypt_value(entry_key, token)
        except (crypto.SealError, InvalidToken):
            raise self._corrupt(f"entry {name!r} does not decrypt") from None

    def write(self, name: str, value: bytes) -> None:
        """Create or replace entry ``name`` (needs unlock; 0 touches)."""
        self.write_many({name: value})

    def write_many(self, items: Mapping[str, bytes]) -> None:
        """Create or replace several entries in one file replace (0 touches)."""
        encoded = {name: _name_bytes(name) for name in items}
        for value in items.values():
            if not isinstance(value, bytes):
                raise TypeError(f"a vault value must be bytes, got {type(value).__name__}")
        with self._file.locked():
            self._refresh()
            self._need_unlocked()
            now = int(self._clock())
            records = {name: self._seal_entry(encoded[name], items[name], now) for name in items}
            previous = {name: self._entries.get(name) for name in records}
            self._entries.update(records)
            try:
                self._store(self._loaded.header)
            except BaseException:
                for name, record in previous.items():
                    if record is None:
                        del self._entries[name]
                    else:
                        self._entries[name] = record
                raise

    def delete(self, name: str) -> None:
        """Remove entry ``name``; NotFoundError if missing (needs unlock)."""
        _name_bytes(name)
        with self._file.locked():
            self._refresh()
            self._need_unlocked()
            previous = self._entries.pop(name, None)
            if previous is None:
                raise NotFoundError(f"no entry {name!r} in {self.path}")
            try:
                self._store(self._loaded.header)
            except BaseException:
                self._entries[name] = previous
                raise

    # -- slots ----------------------------------------------------------------

    def slots(self) -> list[SlotInfo]:
        """The key slots, in the order they were added (locked or not)."""
        self._refresh()
        return [_slot_info(slot) for slot in self._loaded.header.slots]

    @property
    def warnings(self) -> list[str]:
        """One-line warnings the CLIs print (e.g. a single key and no recovery code)."""
        found = []
        header = self._loaded.header
        authenticators = [s for s in header.slots if isinstance(s, AuthenticatorSlot)]
        # A lone keyring slot is PINPal's normal set-up and the keyring is
        # backed up with the user's account; a lone security key is not.
        if len(header.slots) == 1 and authenticators:
            found.append(
                f"only the security key {authenticators[0].name!r} opens {self.path} and "
                "there is no recovery code: losing that key loses every entry"
            )
        return found

    def enroll(self, new_slot: NewSlot, opener: Opener, *, reason: str) -> str | None:
        """Add a key slot; returns the recovery code if ``new_slot`` is one.

        Costs one touch on an enrolled key (``opener``) to release the keys,
        plus the new key's enrolment. Slot names must be unique.
        """
        self._refresh()
        if any(existing.name == new_slot.name for existing in self._loaded.header.slots):
            raise UsageError(f"there is already a slot called {new_slot.name!r}")
        released = self._release(opener, keyslots.Wanted(index=True, read=True), reason=reason)
        if released.index_key is None or released.read_private is None:
            raise VaultError(f"the keys of {self.path} were not released")
        self._adopt(released.index_key)
        header = self._loaded.header
        keys = keyslots.Keys(
            vault_id=header.vault_id,
            index_salt=header.index_salt,
            read_salt=header.read_salt,
            index_key=released.index_key,
            read_private=released.read_private.private_bytes_raw(),
        )
        slot, code = keyslots.make_slot(
            new_slot,
            keys,
            existing=header.slots,
            reason=reason,
            random=self._random,
            now=int(self._clock()),
        )
        with self._file.locked():
            self._refresh()
            current = self._loaded.header
            if any(existing.name == slot.name for existing in current.slots):
                raise UsageError(f"there is already a slot called {slot.name!r}")
            self._store(attrs.evolve(current, slots=(*current.slots, slot)))
        return code

    def remove_slot(self, name: str, *, keyring: KeyringBackend | None = None) -> None:
        """Remove the slot called ``name`` (needs unlock); never the last one.

        Removing a keyring slot also deletes its secret from ``keyring`` when
        given; otherwise the secret stays there, opening nothing.
        """
        with self._file.locked():
            self._refresh()
            self._need_unlocked()
            current = self._loaded.header
            remaining = tuple(slot for slot in current.slots if slot.name != name)
            if len(remaining) == len(current.slots):
                known = ", ".join(repr(slot.name) for slot in current.slots)
                raise NotFoundError(f"no slot {name!r} in {self.path}; slots: {known}")
            if not remaining:
                raise UsageError(f"{name!r} is the last slot of {self.path}; it cannot be removed")
            removed = next(slot for slot in current.slots if slot.name == name)
            self._store(attrs.evolve(current, slots=remaining))
        if keyring is not None and isinstance(removed, layout.KeyringSlot):
            keyslots.forget_keyring_secret(keyring, removed)

    def rotate(
        self,
        opener: Opener,
        *,
        reason: str,
        recovery_scrypt: ScryptParams | None = None,
    ) -> str | None:
        """Re-key: new salts, index key and read key pair; entries unchanged.

        One touch on an enrolled key releases the old keys, then every
        authenticator slot derives the new salts (one touch each; all
        credentials are offered at once). Keyring slots get fresh secrets,
        stored in ``opener.keyring``; the recovery slot a new code, which is
        returned. The vault stays unlocked under the new keys.
        """
        self._refresh()
        released = self._release(opener, keyslots.Wanted(index=True, read=True), reason=reason)
        old_private = released.read_private
        if released.index_key is None or old_private is None:
            raise VaultError(f"the keys of {self.path} were not released")
        self._adopt(released.index_key)
        old = before = self._loaded.header
        random = self._random
        keys = keyslots.Keys.fresh(random, vault_id=old.vault_id)
        if recovery_scrypt is not None:
            old = attrs.evolve(
                old,
                slots=tuple(
                    attrs.evolve(s, scrypt=recovery_scrypt) if isinstance(s, RecoverySlot) else s
                    for s in old.slots
                ),
            )
        now = int(self._clock())
        new_slots, code, stale = keyslots.rewrap(
            old, keys, opener, reason=reason, random=random, now=now, path=self.path
        )
        header = keys.header(new_slots, epoch=random(layout.ID_SIZE))
        with self._file.locked():
            self._refresh()
            if self._loaded.header != before:
                # Another process enrolled or removed a slot meanwhile; the
                # new slots were made from the list before that change.
                raise VaultError(f"the slots of {self.path} changed during rotation; rotate again")
            entries = {}
            for name, record in self._entries.items():
                encoded, sealed, token = layout.unpack_record(record)
                try:
                    entry_key = crypto.unseal(
                        sealed, old_private, self._loaded.header.read_public, encoded
                    )
                except crypto.SealError:
                    raise self._corrupt(f"entry {name!r} does not decrypt") from None
                resealed = crypto.seal(
                    entry_key, header.read_public, random(crypto.KEY_SIZE), encoded
                )
                entries[name] = layout.pack_record(encoded, resealed, token)
            line, body = _seal_file(header, keys.index_key, entries, now, random(16))
            stamp = self._file.replace(line + b"\n" + body)
        self._loaded = _Loaded(line, header, body, stamp)
        self._index_key = keys.index_key
        self._entries = entries
        if opener.keyring is not None:
            for slot in stale:
                keyslots.forget_keyring_secret(opener.keyring, slot)
        return code

    # -- internals ------------------------------------------------------------

    def _release(
        self, opener: Opener, wanted: keyslots.Wanted, *, reason: str
    ) -> keyslots.Released:
        if not isinstance(opener, Opener):
            raise TypeError(f"opener must be an Opener, got {type(opener).__name__}")
        return keyslots.open_any(self._loaded.header, self.path, opener, wanted, reason=reason)

    def _adopt(self, index_key: bytes | None) -> None:
        """Take ``index_key`` and decrypt the current index with it."""
        if index_key is None:
            raise VaultError(f"the index key of {self.path} was not released")
        self._entries = _open_index(self._file.path, self._loaded, index_key)
        self._index_key = index_key

    def _refresh(self) -> None:
        """Re-read the file if another process replaced it since we last looked."""
        if self._file.stamp() == self._loaded.stamp:
            return
        loaded = _load(self._file)
        if self._index_key is None:
            self._loaded = loaded
            return
        if loaded.header.epoch != self._loaded.header.epoch:
            self.lock()
            self._loaded = loaded
            raise VaultRekeyedError(
                f"vault {self.path} was re-keyed by another process; unlock it again"
            )
        self._entries = _open_index(self._file.path, loaded, self._index_key)
        self._loaded = loaded

    def _need_unlocked(self) -> None:
        if self._index_key is None:
            raise NotUnlockedError(f"vault {self.path} is locked; unlock it first")

    def _seal_entry(self, name: bytes, value: bytes, now: int) -> bytes:
        entry_key = self._random(crypto.KEY_SIZE)
        token = crypto.encrypt_value(entry_key, value, now)
        sealed = crypto.seal(
            entry_key, self._loaded.header.read_public, self._random(crypto.KEY_SIZE), name
        )
        return layout.pack_record(name, sealed, token)

    def _store(self, header: Header) -> None:
        """Write ``header`` and the current entries (lock held, unlocked)."""
        if self._index_key is None:
            raise NotUnlockedError(f"vault {self.path} is locked; unlock it first")
        line, body = _seal_file(
            header, self._index_key, self._entries, int(self._clock()), self._random(16)
        )
        stamp = self._file.replace(line + b"\n" + body)
        self._loaded = _Loaded(line, header, body, stamp)

    def _corrupt(self, detail: str) -> VaultError:
        return VaultError(f"{self.path} is damaged or was tampered with: {detail}")


def _name_bytes(name: str) -> bytes:
    if not isinstance(name, str):
        raise TypeError(f"an entry name must be str, got {type(name).__name__}")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"an entry name must be valid Unicode text, got {name!r}") from None
    if not encoded or len(encoded) > layout.MAX_NAME:
        raise UsageError(f"an entry name must be 1 to {layout.MAX_NAME} bytes long")
    return encoded


def _load(file: VaultFile) -> _Loaded:
    data, stamp = file.read()
    try:
        line, body = layout.split_file(data)
        header = layout.decode_header(line)
    except FormatError as error:
        raise VaultError(f"{file.path} cannot be used: {error}") from None
    return _Loaded(line, header, body, stamp)


def _open_index(path: Path, loaded: _Loaded, index_key: bytes) -> dict[str, bytes]:
    try:
        plain = crypto.fernet_decrypt_raw(index_key, loaded.body)
    except InvalidToken:
        raise VaultError(
            f"{path} is damaged or was tampered with: its index does not decrypt"
        ) from None
    try:
        digest, entries = layout.unpack_index(plain)
    except FormatError as error:
        raise VaultError(f"{path} is damaged or was tampered with: {error}") from None
    if not hmac.compare_digest(digest, layout.header_digest(loaded.line)):
        raise VaultError(f"{path} is damaged or was tampered with: its header was changed")
    return entries


def _seal_file(
    header: Header, index_key: bytes, entries: dict[str, bytes], now: int, iv: bytes
) -> tuple[bytes, bytes]:
    line = layout.encode_header(header)
    plain = layout.pack_index(layout.header_digest(line), entries.values(), len(entries))
    return line, crypto.fernet_encrypt_raw(index_key, plain, now, iv)


def _slot_info(slot: layout.Slot) -> SlotInfo:
    if isinstance(slot, AuthenticatorSlot):
        mode = ", PIN" if slot.credential.uv else ""
        detail = (
            f"{slot.credential.rp_id}, credential {slot.credential.credential_id.hex()[:12]}…{mode}"
        )
    elif isinstance(slot, layout.KeyringSlot):
        detail = f"keyring {slot.service!r} / {slot.username!r}"
    else:
        detail = (
            f"scrypt n=2^{slot.scrypt.n.bit_length() - 1}, r={slot.scrypt.r}, p={slot.scrypt.p}"
        )
    return SlotInfo(slot.name, slot.kind, detail)
