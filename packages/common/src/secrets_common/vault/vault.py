"""The :class:`Vault`: named secret entries in one file, opened through key slots.

Touch costs with an everyday security key (see docs/vault-format.md):

========================  ===============================================
operation                 touches
========================  ===============================================
``unlock`` (names)        1 (the index salt)
``read``                  1, every time (index salt + the entry's salt)
``write`` one entry       1 (index salt + the entry's salt), locked or not
``delete`` / ``names``    0 (needs ``unlock``)
``enroll`` everyday key   1 enrolment + ceil(n/2) of the new key + the
                          release of the n entry keys (1 escrow opening,
                          or ceil(n/2) touches of an enrolled key)
``rotate``                1 escrow opening + 1 per authenticator slot
========================  ===============================================

An escrow opener (recovery code, keyring secret, backup key) opens the whole
vault at once. A Vault object is not thread-safe; processes are serialised by
a lock file; a file older than one already seen is refused (:mod:`rollback`).
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from cryptography.fernet import InvalidToken

from secrets_common.errors import NotFoundError, UsageError, VaultError, WrongKeyError
from secrets_common.keysource import Credential, EnrolmentCheck, KeySource
from secrets_common.vault import crypto, layout, v1layout
from secrets_common.vault import slots as keyslots
from secrets_common.vault.errors import NotUnlockedError, SlotOpenError, VaultRekeyedError
from secrets_common.vault.keyringio import forget_keyring_secret
from secrets_common.vault.layout import (
    AuthenticatorSlot,
    FormatError,
    Header,
    KeyringSlot,
    Record,
    RecoverySlot,
)
from secrets_common.vault.opener import (
    KeyringBackend,
    NewAuthenticatorSlot,
    NewKeyringSlot,
    NewRecoverySlot,
    NewSlot,
    Opener,
    ScryptParams,
)
from secrets_common.vault.rollback import GenerationLog, RollbackError, default_log
from secrets_common.vault.storage import Stamp, VaultFile

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    # Loaded where a version-1 vault is opened or converted: reading a
    # version-2 vault (every `pinpal list`) never builds its slot types.
    from secrets_common.vault import v1slots

Random = Callable[[int], bytes]
Clock = Callable[[], float]


@attrs.frozen
class SlotInfo:
    """A key slot as listed to the user (public data only)."""

    name: str
    kind: str
    """``"authenticator"``, ``"keyring"`` or ``"recovery"``."""
    detail: str
    """Human description: role, rp id and credential id prefix, keyring user, scrypt cost."""
    role: str = ""
    """``"everyday"`` or ``"backup"`` for an authenticator, else empty."""
    credential: Credential | None = None
    """An authenticator's whole credential (RP ID, full credential id, UV mode)."""
    username: str = ""
    """The keyring user name holding a keyring slot's secret, else empty."""


@attrs.define
class _Loaded:
    """One version of the file as read: header line, parsed header, raw index."""

    line: bytes
    header: Header | v1layout.Header
    body: bytes
    stamp: Stamp

    @property
    def version(self) -> int:
        return layout.VERSION if isinstance(self.header, Header) else 1


@attrs.frozen
class _Unsealer:
    """What opens entry keys during one operation: an escrow key, or everyday outputs."""

    escrow: X25519PrivateKey | None = attrs.field(default=None, repr=False)
    slot: AuthenticatorSlot | None = None
    outputs: Mapping[bytes, bytes] = attrs.field(factory=dict, repr=False)


class Vault:
    """One vault file. Construct with :meth:`create` or :meth:`open`.

    While unlocked, the object holds the index key and public values only:
    no hmac-secret output and no escrow key outlives the call that asked for it.
    """

    def __init__(
        self,
        file: VaultFile,
        loaded: _Loaded,
        *,
        random: Random,
        clock: Clock,
        guard: GenerationLog | None = None,
    ) -> None:
        """Internal: use :meth:`create` or :meth:`open`."""
        self._file = file
        self._loaded = loaded
        self._random = random
        self._clock = clock
        self._guard = guard if guard is not None else default_log()
        self._index_key: bytes | None = None
        self._entries: dict[str, bytes] = {}
        self._generation = 0
        self._v1_opener: Opener | None = None

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
        guard: GenerationLog | None = None,
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
            if isinstance(spec, NewAuthenticatorSlot):
                slot, _ = keyslots.enrol_authenticator(
                    spec, keys, existing=made, reason=reason, random=random, now=now
                )
                made.append(slot)
            else:
                escrow_slot, new_code = keyslots.make_escrow_slot(
                    spec, keys, existing=made, random=random, now=now
                )
                made.append(escrow_slot)
                code = new_code or code
        header = keys.header(made, random)
        log = guard if guard is not None else default_log()
        vault = cls(file, _Loaded(b"", header, b"", Stamp(0, 0, 0, 0)), random=random, clock=clock)
        vault._guard = log
        vault._index_key = keys.index_key
        with file.locked():
            if file.exists():
                raise UsageError(f"{file.path} already exists")
            log.forget_path(file.path)
            vault._store(header)
        return vault, code

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        random: Random = os.urandom,
        clock: Clock = time.time,
        lock_timeout: float = 10.0,
        guard: GenerationLog | None = None,
    ) -> Vault:
        """Open the vault file at ``path``, locked (no touch).

        Checks the file's mode and its clear header; the slots can be listed.
        Raises NotFoundError if the file does not exist and VaultError if it
        is unsafe or not a vault.
        """
        file = VaultFile(Path(path), lock_timeout)
        return cls(file, _load(file), random=random, clock=clock, guard=guard)

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
    def version(self) -> int:
        """The format version of the file (1 is converted on the first write)."""
        return self._loaded.version

    @property
    def generation(self) -> int:
        """The generation of the index (known once unlocked; every write adds one)."""
        return self._generation

    @property
    def is_unlocked(self) -> bool:
        """Whether the index key is held (names and delete work)."""
        return self._index_key is not None

    def unlock(self, opener: Opener, *, reason: str) -> Vault:
        """Obtain the index key: 1 touch of an everyday key, or an escrow opener.

        Returns ``self``. Raises NotEnrolledError (naming the enrolled slots)
        when the connected key is not enrolled, SlotOpenError when nothing in
        ``opener`` fits any slot, VaultError when the file is corrupt.
        """
        _check_opener(opener)
        self._refresh()
        if self._v1 is not None:
            released = self._v1_release(opener, index=True, read=False, reason=reason)
            self._adopt(released.index_key)
            self._v1_opener = opener if opener.recovery_code is None else None
            return self
        header = self._header
        if self._prefers_escrow(opener):
            escrow = keyslots.open_escrow(header, self.path, opener, reason=reason)
            self._adopt(self._unseal_index(escrow.private))
            return self
        try:
            touched = keyslots.touch_everyday(
                header, self.path, self._source(opener), [], want_index=True, reason=reason
            )
        except WrongKeyError:
            if not keyslots.can_escrow(header, opener):
                raise
            escrow = keyslots.open_escrow(header, self.path, opener, reason=reason)
            self._adopt(self._unseal_index(escrow.private))
            return self
        self._adopt(touched.index_key)
        return self

    def wait_for_writers(self) -> None:
        """Wait for another process's write to end; VaultLockedError after the lock timeout.

        Every write calls it before asking for a touch, so that a write bound
        to time out on the lock spends none; callers that touch before writing
        (an unlock, then a delete) call it first for the same reason.
        """
        self._file.wait_unlocked()

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

        The touch asks for the index salt and this entry's salt, and nothing
        else; on a locked vault it unlocks it too. Raises NotFoundError if
        there is no such entry (without a touch when the vault is unlocked).
        """
        encoded = _name_bytes(name)
        _check_opener(opener)
        self._refresh()
        if self.is_unlocked and name not in self._entries:
            raise NotFoundError(f"no entry {name!r} in {self.path}")
        if self._v1 is not None:
            return self._v1_read(name, encoded, opener, reason=reason)
        header = self._header
        unsealer = self._entry_unsealer(opener, [encoded], reason=reason)
        record = self._entries.get(name)
        if record is None:
            raise NotFoundError(f"no entry {name!r} in {self.path}")
        return self._decrypt(layout.unpack_record(record), unsealer, header)

    def write(
        self, name: str, value: bytes, opener: Opener | None = None, *, reason: str | None = None
    ) -> None:
        """Create or replace entry ``name``.

        With an everyday key in ``opener``: one touch (index salt + this
        entry's salt), and the entry is readable by that key. Without one, on
        an unlocked vault: no touch, and the entry is sealed to the escrow key
        only (readable by everyday keys after :meth:`sync`).
        """
        self.write_many({name: value}, opener, reason=reason)

    def write_many(
        self,
        items: Mapping[str, bytes],
        opener: Opener | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        """Create or replace several entries in one file replace.

        With an everyday key: 1 touch for the first entry, one more per two
        further entries.
        """
        encoded = {name: _name_bytes(name) for name in items}
        for value in items.values():
            if not isinstance(value, bytes):
                raise TypeError(f"a vault value must be bytes, got {type(value).__name__}")
        if opener is not None:
            _check_opener(opener)
        self._refresh()
        self.wait_for_writers()
        if self._v1 is not None:
            self._convert_for_write(opener, reason or "convert the vault to format 2")
        header = self._header
        touched: keyslots.Touched | None = None
        names = list(encoded.values())
        outputs: dict[bytes, bytes] = {}
        if (
            opener is not None
            and opener.key_source is not None
            and not self._prefers_escrow(opener)
        ):
            try:
                touched, outputs = self._touch_entries(
                    opener, names, reason=reason or _store_reason(items)
                )
            except WrongKeyError:
                if not keyslots.can_escrow(header, opener):
                    raise
        if touched is not None:
            self._adopt(touched.index_key)
        elif not self.is_unlocked:
            if opener is None:
                raise NotUnlockedError(f"vault {self.path} is locked; unlock it first")
            self.unlock(opener, reason=reason or _store_reason(items))
        with self._file.locked():
            self._refresh()
            self._need_unlocked()
            self._same_keys(header)
            now = int(self._clock())
            records = {
                name: self._seal_entry(encoded[name], items[name], now, touched, outputs)
                for name in items
            }
            previous = {name: self._entries.get(name) for name in records}
            self._entries.update(records)
            try:
                self._store(self._header)
            except BaseException:
                for name, record in previous.items():
                    if record is None:
                        del self._entries[name]
                    else:
                        self._entries[name] = record
                raise

    def delete(self, name: str) -> None:
        """Remove entry ``name``; NotFoundError if missing (needs unlock; 0 touches)."""
        _name_bytes(name)
        self._refresh()
        if self._v1 is not None:
            self.wait_for_writers()
            self._convert_for_write(None, "convert the vault to format 2")
        with self._file.locked():
            self._refresh()
            self._need_unlocked()
            previous = self._entries.pop(name, None)
            if previous is None:
                raise NotFoundError(f"no entry {name!r} in {self.path}")
            try:
                self._store(self._header)
            except BaseException:
                self._entries[name] = previous
                raise

    def pending(self, slot_name: str) -> list[str]:
        """Entries the everyday key ``slot_name`` cannot read yet (needs unlock)."""
        self._refresh()
        self._need_unlocked()
        if self._v1 is not None:
            return []
        slot = self._header.slot(slot_name)
        if not isinstance(slot, AuthenticatorSlot) or not slot.everyday:
            raise NotFoundError(f"no everyday key slot {slot_name!r} in {self.path}")
        return sorted(
            name
            for name, record in self._entries.items()
            if not layout.record_has_wrap(record, slot.slot_id)
        )

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
        v1_authenticators = [s for s in header.slots if isinstance(s, v1layout.AuthenticatorSlot)]
        escrow = [
            s
            for s in header.slots
            if isinstance(s, KeyringSlot | RecoverySlot)
            or (isinstance(s, AuthenticatorSlot) and not s.everyday)
        ]
        # A lone keyring slot is PINPal's normal set-up and the keyring is
        # backed up with the user's account; a lone security key is not.
        if len(header.slots) == 1 and (authenticators or v1_authenticators):
            name = (authenticators or v1_authenticators)[0].name
            found.append(
                f"only the security key {name!r} opens {self.path} and "
                "there is no recovery code: losing that key loses every entry"
            )
        elif authenticators and not escrow:
            found.append(
                f"{self.path} has no recovery code and no backup key: losing the everyday "
                "keys loses every entry"
            )
        for slot in authenticators:
            if (slot.everyday and slot.index_key is None) or (
                not slot.everyday and slot.escrow_key is None
            ):
                found.append(
                    f"the key {slot.name!r} was away when {self.path} was re-keyed: connect it "
                    "and run `tokenring sync` before it can open the vault again"
                )
        if self.version == 1:
            found.append(
                f"{self.path} is in format version 1, where one touch opens every entry: "
                "run `tokenring upgrade`"
            )
        return found

    def enroll(self, new_slot: NewSlot, opener: Opener, *, reason: str) -> str | None:
        """Add a key slot; returns the recovery code if ``new_slot`` is one.

        A backup key, a keyring slot or a recovery code wraps the escrow key:
        the opener must open the whole vault (recovery code, keyring, backup
        key) — or, when the vault has no escrow opener at all, an everyday key
        re-keys the escrow (one touch per two entries). An everyday key gets
        a wrap of every entry: its enrolment, then one touch per two entries.
        """
        _check_opener(opener)
        self._refresh()
        self._check_enrollable(new_slot, self._loaded.header.slots, reason=reason)
        self.wait_for_writers()
        if self._v1 is not None:
            self._convert_for_write(opener, reason)
        header = self._header
        if header.slot(new_slot.name) is not None:
            raise UsageError(f"there is already a slot called {new_slot.name!r}")
        keyslots.check_new_name(new_slot, header.slots)
        needs_escrow = not (isinstance(new_slot, NewAuthenticatorSlot) and not new_slot.backup)
        if needs_escrow and not _has_escrow_holder(header):
            # Nothing can open the escrow key any more: draw a new one, from the
            # entry keys the everyday key releases (a rotation that adds the slot).
            return self.rotate(opener, reason=reason, add=new_slot)
        escrow = self._escrow_or_rekey(opener, reason=reason, required=needs_escrow)
        unsealer = _Unsealer(escrow=escrow)
        entry_keys: dict[str, bytes] | None = None
        if escrow is None:
            # No escrow opener: the entry keys come from the connected everyday key.
            entry_keys = self._entry_keys_by_touch(opener, reason=reason)
        header = self._header
        now = int(self._clock())
        keys = keyslots.Keys(
            vault_id=header.vault_id,
            epoch=header.epoch,
            escrow_salt=header.escrow_salt,
            index_key=self._held_index_key(),
            escrow_private=None if escrow is None else escrow.private_bytes_raw(),
            escrow_public=header.escrow_public,
        )
        code = None
        if isinstance(new_slot, NewAuthenticatorSlot):
            slot, derivation = keyslots.enrol_authenticator(
                new_slot, keys, existing=header.slots, reason=reason, random=self._random, now=now
            )
            wraps: dict[str, bytes] = {}
            if slot.everyday:
                entry_keys = entry_keys or self._all_entry_keys(unsealer)
                wraps = self._wraps_for(
                    slot, new_slot.key_source, entry_keys, reason=f"{reason} (every entry)"
                )
            del derivation
            new: layout.Slot = slot
        else:
            new, code = keyslots.make_escrow_slot(
                new_slot, keys, existing=header.slots, random=self._random, now=now
            )
            wraps = {}
        with self._file.locked():
            self._refresh()
            self._same_keys(header)
            current = self._header
            if current.slot(new.name) is not None:
                raise UsageError(f"there is already a slot called {new.name!r}")
            for name, boxed in wraps.items():
                record = self._entries.get(name)
                if record is not None and isinstance(new, AuthenticatorSlot):
                    self._entries[name] = _with_wrap(record, new.slot_id, boxed)
            self._store(attrs.evolve(current, slots=(*current.slots, new)))
        return code

    def remove_slot(
        self,
        name: str,
        *,
        keyring: KeyringBackend | None = None,
        opener: Opener | None = None,
        reason: str | None = None,
    ) -> int:
        """Remove the slot called ``name``; returns how many entries it could read.

        Never the last slot, nor the last authenticator slot (a recovery code
        alone is no way to work day to day). The removed slot opens nothing
        written afterwards, even with an older copy of the file: removing an
        everyday key re-keys the index (the connected everyday keys are
        re-wrapped, one touch each; the others need ``sync``); removing an
        escrow opener (backup key, keyring secret, recovery code) re-keys the
        escrow as :meth:`rotate` does, and needs an ``opener`` for it. The
        entries it could already read stay readable from a copy of the old
        file: the return value says how many, and the CLI says so.
        """
        self._refresh()
        self.wait_for_writers()
        if self._v1 is not None:
            self._convert_for_write(opener, reason or f"remove the slot {name!r}")
        self._need_unlocked()
        current = self._header
        slot = current.slot(name)
        if slot is None:
            known = ", ".join(repr(s.name) for s in current.slots)
            raise NotFoundError(f"no slot {name!r} in {self.path}; slots: {known}")
        remaining = tuple(s for s in current.slots if s.name != name)
        if not remaining:
            raise UsageError(f"cannot remove {name!r}: {name!r} is the last slot of {self.path}")
        had_authenticator = any(isinstance(s, AuthenticatorSlot) for s in current.slots)
        if had_authenticator and not any(isinstance(s, AuthenticatorSlot) for s in remaining):
            raise UsageError(
                f"cannot remove {name!r}: it is the last security key of {self.path}, and a "
                "recovery code alone is no way to work day to day (enrol another key first)"
            )
        if isinstance(slot, AuthenticatorSlot) and slot.everyday:
            exposed = sum(
                layout.record_has_wrap(record, slot.slot_id) for record in self._entries.values()
            )
            self._remove_everyday(slot, opener, reason=reason or f"remove the slot {name!r}")
            return exposed
        if opener is None:
            opener = Opener(keyring=keyring)
        exposed = len(self._entries)
        self.rotate(
            opener,
            reason=reason or f"remove the slot {name!r}",
            without=name,
        )
        holder = keyring or opener.keyring
        if isinstance(slot, KeyringSlot) and holder is not None:
            forget_keyring_secret(holder, slot)
        return exposed

    def rotate(
        self,
        opener: Opener,
        *,
        reason: str,
        recovery_scrypt: ScryptParams | None = None,
        without: str | None = None,
        add: NewSlot | None = None,
    ) -> str | None:
        """Re-key: new epoch, index key and escrow key pair; entries unchanged.

        The entry keys are released by an escrow opener in ``opener`` (or, in
        a vault without any, by the everyday key, one touch per two entries)
        and sealed to the new escrow key. Every connected authenticator
        derives the new salts (one touch each; keys not connected are left to
        ``sync``); keyring slots get fresh secrets in ``opener.keyring``; the
        recovery slot a new code, which is returned. The old escrow key, old
        recovery code, old keyring secrets and old index key open nothing
        written afterwards. ``without`` drops that slot at the same time.
        """
        _check_opener(opener)
        self._refresh()
        self.wait_for_writers()
        if self._v1 is not None:
            return self.upgrade(opener, reason=reason)
        before = self._header
        escrow = self._escrow_or_rekey(opener, reason=reason, required=False, force_touch=True)
        if escrow is not None:
            entry_keys = self._all_entry_keys(_Unsealer(escrow=escrow))
        else:
            entry_keys = self._entry_keys_by_touch(opener, reason=reason)
        old = self._header
        if old != before:
            raise VaultError(f"the slots of {self.path} changed during rotation; rotate again")
        keys = keyslots.Keys.fresh(self._random, vault_id=old.vault_id)
        now = int(self._clock())
        kept = [s for s in old.slots if s.name != without]
        slots, code, stale = self._remake_slots(
            kept, keys, opener, reason=reason, now=now, recovery_scrypt=recovery_scrypt
        )
        if isinstance(add, NewAuthenticatorSlot):
            added, _ = keyslots.enrol_authenticator(
                add, keys, existing=slots, reason=reason, random=self._random, now=now
            )
            slots.append(added)
        elif add is not None:
            escrow_slot, new_code = keyslots.make_escrow_slot(
                add, keys, existing=slots, random=self._random, now=now
            )
            slots.append(escrow_slot)
            code = new_code or code
        header = keys.header(slots, self._random)
        self._commit_rekey(header, keys.index_key, entry_keys, dropped=without)
        if opener.keyring is not None:
            for slot in stale:
                forget_keyring_secret(opener.keyring, slot)
        return code

    def upgrade(self, opener: Opener, *, reason: str) -> str | None:
        """Convert a version-1 file to version 2; returns the new recovery code if any.

        One v1 touch (or keyring/recovery) releases every entry; the key that
        answered becomes an everyday key (one touch, plus one per two
        entries), other v1 security keys are left to ``sync``; keyring slots
        get a new secret, a recovery slot a new code (the v1 code retires). A
        version-2 vault is left as it is (returns None).
        """
        _check_opener(opener)
        self._refresh()
        v1 = self._v1
        if v1 is None:
            return None
        self.wait_for_writers()
        released = self._v1_release(opener, index=True, read=True, reason=reason)
        self._adopt(released.index_key)
        private = released.read_private
        if private is None:
            raise VaultError(f"the read key of {self.path} was not released")
        entry_keys: dict[str, bytes] = {}
        tokens: dict[str, bytes] = {}
        for name, raw in self._entries.items():
            encoded, sealed, token = v1layout.unpack_record(raw)
            try:
                entry_keys[name] = crypto.unseal(sealed, private, v1.read_public, encoded)
            except crypto.SealError:
                raise self._corrupt(f"entry {name!r} does not decrypt") from None
            tokens[name] = token
        keys = keyslots.Keys.fresh(self._random, vault_id=v1.vault_id)
        now = int(self._clock())
        slots: list[layout.Slot] = []
        code: str | None = None
        stale: list[v1layout.KeyringSlot] = []
        bound: list[tuple[AuthenticatorSlot, dict[str, bytes]]] = []
        taken: set[bytes] = set()
        for old in v1.slots:
            if isinstance(old, v1layout.AuthenticatorSlot):
                slot_id = self._random(layout.SLOT_ID_SIZE)
                while slot_id in taken:
                    slot_id = self._random(layout.SLOT_ID_SIZE)
                taken.add(slot_id)
                slot = AuthenticatorSlot(old.name, old.credential, layout.EVERYDAY, slot_id)
                if opener.key_source is not None:
                    # Every connected key is bound now; the others are left to `sync`.
                    try:
                        slot, wraps = self._bind_new_everyday(
                            slot, keys, opener, entry_keys, reason=reason, now=now
                        )
                    except WrongKeyError:
                        pass
                    else:
                        bound.append((slot, wraps))
                slots.append(slot)
            elif isinstance(old, v1layout.KeyringSlot):
                if opener.keyring is None:
                    raise UsageError(
                        f"converting {self.path} needs the keyring that holds slot {old.name!r}"
                    )
                slots.append(
                    keyslots.keyring_slot(old.name, opener.keyring, keys, self._random, now)
                )
                stale.append(old)
            else:
                recovery_slot, code = keyslots.recovery_slot(
                    old.name, old.scrypt, keys, self._random, now
                )
                slots.append(recovery_slot)
        header = keys.header(slots, self._random)
        records = {}
        for name, entry_key in entry_keys.items():
            encoded = name.encode("utf-8")
            entry_wraps: dict[bytes, bytes] = {}
            for bound_slot, wraps in bound:
                entry_wraps[bound_slot.slot_id] = wraps[name]
            records[name] = layout.pack_record(
                Record(
                    encoded,
                    self._seal_escrow(entry_key, header, encoded),
                    entry_wraps,
                    tokens[name],
                )
            )
        with self._file.locked():
            if self._file.stamp() != self._loaded.stamp:
                raise VaultError(f"{self.path} changed while it was converted; try again")
            self._index_key = keys.index_key
            self._entries = records
            self._store(header)
        if opener.keyring is not None:
            for old_keyring in stale:
                forget_keyring_secret(opener.keyring, old_keyring)
        return code

    def sync(self, opener: Opener, *, reason: str, key: str | None = None) -> int:
        """Bring a security key up to date; returns how many entries it can newly read.

        ``key`` names the slot (default: whichever enrolled key answers the
        first touch). An everyday key gets its index wrap back if a re-key
        left it out (1 touch, which also proves it) and a wrap of every entry
        it cannot read yet (1 touch per two entries). Those entry keys come
        from an escrow opener in ``opener`` (the recovery code or keyring), or
        else from another connected everyday key (1 touch per two entries). A
        backup key left out of a re-key costs 1 touch, with an escrow opener.
        """
        _check_opener(opener)
        self._refresh()
        self.wait_for_writers()
        if self._v1 is not None:
            self._convert_for_write(opener, reason)
        source = self._source(opener)
        escrow_opener = Opener(keyring=opener.keyring, recovery_code=opener.recovery_code)
        header = self._header
        authenticators = [s for s in header.slots if isinstance(s, AuthenticatorSlot)]
        if key is not None:
            named = header.slot(key)
            if not isinstance(named, AuthenticatorSlot):
                raise NotFoundError(f"no security key slot {key!r} in {self.path}")
            authenticators = [named]
        everyday = [s for s in authenticators if s.everyday]
        now = int(self._clock())
        escrow: X25519PrivateKey | None = None
        if keyslots.can_escrow(header, escrow_opener):
            escrow = keyslots.open_escrow(header, self.path, escrow_opener, reason=reason).private
            self._adopt(self._unseal_index(escrow))
        elif not self.is_unlocked:
            others = [s for s in keyslots.everyday_slots(header) if s not in authenticators]
            self._adopt(
                keyslots.touch_everyday(
                    header, self.path, source, [], want_index=True, reason=reason, only=others
                ).index_key
            )
        try:
            if not everyday:
                raise WrongKeyError("no everyday key asked for")
            derivation = keyslots.derive(
                source, everyday, [keyslots.index_salt(header)], self.path, reason=reason
            )
        except WrongKeyError:
            backups = [s for s in authenticators if not s.everyday]
            if not backups:
                raise
            if escrow is None:
                raise UsageError(
                    "renewing a backup key needs the recovery code or the keyring slot"
                ) from None
            derivation = keyslots.derive(
                source, backups, [header.escrow_salt], self.path, reason=reason
            )
            target = keyslots.slot_of(derivation, backups, self.path)
            fresh = attrs.evolve(
                target,
                escrow_key=keyslots.wrap_escrow(
                    header.vault_id, derivation.outputs[0], escrow.private_bytes_raw(), now
                ),
            )
            self._replace_slot(header, fresh, {})
            return 0
        target = keyslots.slot_of(derivation, everyday, self.path)
        target = attrs.evolve(
            target,
            index_key=crypto.wrap(
                keyslots.index_kek(derivation.outputs[0], header.vault_id),
                self._held_index_key(),
                now,
            ),
        )
        missing = [
            name
            for name, record in self._entries.items()
            if not layout.record_has_wrap(record, target.slot_id)
        ]
        if escrow is not None:
            entry_keys = self._entry_keys(missing, _Unsealer(escrow=escrow))
        else:
            others = [s for s in keyslots.everyday_slots(header) if s.name != target.name]
            entry_keys = self._entry_keys_by_touch(
                opener, reason=reason, names=missing, only=others
            )
        slot, wraps = self._bind_new_everyday(
            target, self._keys_now(), opener, entry_keys, reason=reason, now=now, index=False
        )
        self._replace_slot(header, slot, wraps)
        return len(wraps)

    # -- recovery and restore ---------------------------------------------------

    def recover(
        self,
        recovery_code: str,
        new_key: NewAuthenticatorSlot,
        *,
        remove: Sequence[str] = (),
        reason: str = "recover the vault",
        recovery_scrypt: ScryptParams | None = None,
    ) -> str | None:
        """Open with the recovery code, enrol ``new_key``, drop ``remove``, renew the code.

        Costs no touch of any lost key: the code opens the escrow, the new key
        is enrolled as an everyday key (its enrolment, then one touch per two
        entries), the slots in ``remove`` go, and the escrow is re-keyed so
        that the old code, like the removed keys, opens nothing written
        afterwards. Returns the new recovery code.
        """
        code_opener = Opener(recovery_code=recovery_code)
        self.unlock(code_opener, reason=reason)
        if self._v1 is not None:
            raise UsageError(f"{self.path} is in format version 1: run `tokenring upgrade` first")
        for name in remove:
            if self._header.slot(name) is None:
                raise NotFoundError(f"no slot {name!r} in {self.path}")
        if self._header.slot(new_key.name) is not None:
            raise UsageError(f"there is already a slot called {new_key.name!r}")
        # Before the re-key retires the code: a recovery that cannot enrol
        # the connected key must leave the vault as it was.
        kept = [s for s in self._header.slots if s.name not in remove]
        self._check_enrollable(new_key, kept, reason=reason)
        # Re-key first, touching nobody: every security key is left to `sync`,
        # the lost ones open nothing written from now on, the old code retires.
        code = self.rotate(code_opener, reason=reason, recovery_scrypt=recovery_scrypt)
        if code is None:
            raise VaultError(f"the recovery slot of {self.path} was not renewed")
        self._drop_slots(remove)
        # Then the new key, enrolled under the final keys: its enrolment and
        # one touch per two entries.
        self.enroll(new_key, Opener(recovery_code=code), reason=reason)
        return code

    def _check_enrollable(
        self,
        new_slot: NewSlot,
        existing: Sequence[layout.Slot | v1layout.Slot],
        *,
        reason: str,
    ) -> None:
        """Fail before any touch when no connected key could take ``new_slot``."""
        if not isinstance(new_slot, NewAuthenticatorSlot):
            return
        source = new_slot.key_source
        if isinstance(source, EnrolmentCheck):
            enrolled = [
                s.credential
                for s in existing
                if isinstance(s, AuthenticatorSlot | v1layout.AuthenticatorSlot)
            ]
            source.check_enrollable(enrolled, reason=reason)

    def _drop_slots(self, names: Sequence[str]) -> None:
        """Remove slots a re-key already left without keys (their wraps go too)."""
        if not names:
            return
        with self._file.locked():
            self._refresh()
            header = self._header
            dropped = [s for s in header.slots if s.name in names]
            if any(
                not isinstance(s, AuthenticatorSlot) or s.index_key or s.escrow_key for s in dropped
            ):
                raise VaultError("internal: only slots left out of a re-key can be dropped")
            ids = {s.slot_id for s in dropped if isinstance(s, AuthenticatorSlot)}
            for name, raw in list(self._entries.items()):
                record = layout.unpack_record(raw)
                if ids & set(record.wraps):
                    wraps = {k: v for k, v in record.wraps.items() if k not in ids}
                    self._entries[name] = layout.pack_record(attrs.evolve(record, wraps=wraps))
            kept = tuple(s for s in header.slots if s.name not in names)
            self._store(attrs.evolve(header, slots=kept))

    @classmethod
    def restore(
        cls,
        backup: Path,
        path: Path,
        opener: Opener,
        *,
        reason: str,
        random: Random = os.urandom,
        clock: Clock = time.time,
        lock_timeout: float = 10.0,
        guard: GenerationLog | None = None,
    ) -> Vault:
        """Put the vault file ``backup`` back at ``path`` on purpose.

        One unlock of the backup (one touch, or an escrow opener) checks it
        is a vault this opener opens; it is then written at ``path`` with a
        generation above every one seen, so the rollback check accepts it and
        every older copy stays refused.
        """
        log = guard if guard is not None else default_log()
        scratch = GenerationLog(None)
        old = cls.open(Path(backup), random=random, clock=clock, guard=scratch)
        old.unlock(opener, reason=reason)
        target = VaultFile(Path(path), lock_timeout)
        target.create_directory()
        vault = cls(
            target,
            _Loaded(old._loaded.line, old._loaded.header, old._loaded.body, Stamp(0, 0, 0, 0)),
            random=random,
            clock=clock,
            guard=log,
        )
        vault._index_key = old._index_key
        vault._entries = dict(old._entries)
        if old._v1 is not None:
            vault._v1_opener = opener if opener.recovery_code is None else None
        with target.locked():
            log.forget_path(target.path)
            vault._generation = max(old._generation, log.last(old.vault_id))
            if vault._v1 is not None:
                stamp = target.replace(Path(backup).read_bytes())
                vault._loaded.stamp = stamp
            else:
                vault._store(vault._header)
            log.record(target.path, vault.vault_id, vault._generation)
        return vault

    # -- internals ------------------------------------------------------------

    @property
    def _header(self) -> Header:
        header = self._loaded.header
        if not isinstance(header, Header):
            raise VaultError(f"{self.path} is in format version 1: run `tokenring upgrade`")
        return header

    @property
    def _v1(self) -> v1layout.Header | None:
        header = self._loaded.header
        return header if isinstance(header, v1layout.Header) else None

    def _source(self, opener: Opener) -> KeySource:
        if opener.key_source is None:
            raise SlotOpenError(
                f"cannot open {self.path}: nothing offered fits any of its slots "
                f"(slots: {keyslots.slot_summary(self._header)})"
            )
        return opener.key_source

    def _prefers_escrow(self, opener: Opener) -> bool:
        """Cheapest first: a recovery code given on purpose, then the keyring (no touch)."""
        header = self._header
        if opener.recovery_code is not None:
            return True
        if opener.keyring is not None and any(isinstance(s, KeyringSlot) for s in header.slots):
            return True
        return opener.key_source is None

    def _held_index_key(self) -> bytes:
        if self._index_key is None:
            raise NotUnlockedError(f"vault {self.path} is locked; unlock it first")
        return self._index_key

    def _keys_now(self, escrow: X25519PrivateKey | None = None) -> keyslots.Keys:
        header = self._header
        return keyslots.Keys(
            vault_id=header.vault_id,
            epoch=header.epoch,
            escrow_salt=header.escrow_salt,
            index_key=self._held_index_key(),
            escrow_private=None if escrow is None else escrow.private_bytes_raw(),
            escrow_public=header.escrow_public,
        )

    def _unseal_index(self, private: X25519PrivateKey) -> bytes:
        try:
            key = keyslots.unseal_index(self._header, private)
        except crypto.SealError:
            raise self._corrupt("its escrowed index key does not open") from None
        if len(key) != crypto.KEY_SIZE:
            raise self._corrupt("its escrowed index key has the wrong size")
        return key

    def _entry_unsealer(self, opener: Opener, names: list[bytes], *, reason: str) -> _Unsealer:
        """One touch (or escrow opening) that releases ``names`` and the index key."""
        header = self._header
        if self._prefers_escrow(opener):
            escrow = keyslots.open_escrow(header, self.path, opener, reason=reason)
            self._adopt(self._unseal_index(escrow.private))
            return _Unsealer(escrow=escrow.private)
        try:
            touched, outputs = self._touch_entries(opener, names, reason=reason)
        except WrongKeyError:
            if not keyslots.can_escrow(header, opener):
                raise
            escrow = keyslots.open_escrow(header, self.path, opener, reason=reason)
            self._adopt(self._unseal_index(escrow.private))
            return _Unsealer(escrow=escrow.private)
        self._adopt(touched.index_key)
        return _Unsealer(slot=touched.slot, outputs=outputs)

    def _touch_entries(
        self,
        opener: Opener,
        names: list[bytes],
        *,
        reason: str,
        only: Sequence[AuthenticatorSlot] | None = None,
    ) -> tuple[keyslots.Touched, dict[bytes, bytes]]:
        """The index salt and the first entry salt in one touch; the rest two per touch."""
        source = self._source(opener)
        header = self._header
        first = keyslots.touch_everyday(
            header, self.path, source, names[:1], want_index=True, reason=reason, only=only
        )
        outputs = dict(first.outputs)
        rest = names[1:]
        for start in range(0, len(rest), 2):
            more = keyslots.touch_everyday(
                header,
                self.path,
                source,
                rest[start : start + 2],
                want_index=False,
                reason=f"{reason} ({start + 2} of {len(names)})",
                only=[first.slot],
            )
            outputs.update(more.outputs)
        return first, outputs

    def _entry_keys_by_touch(
        self,
        opener: Opener,
        *,
        reason: str,
        names: Iterable[str] | None = None,
        only: Sequence[AuthenticatorSlot] | None = None,
    ) -> dict[str, bytes]:
        """Entry keys through an everyday key: one touch per two entries (no escrow opener)."""
        wanted = sorted(self._entries) if names is None else list(names)
        if not wanted:
            return {}
        encoded = [name.encode("utf-8") for name in wanted]
        touched, outputs = self._touch_entries(
            opener, encoded, reason=f"{reason} (entry by entry)", only=only
        )
        self._adopt(touched.index_key)
        return self._entry_keys(wanted, _Unsealer(slot=touched.slot, outputs=outputs))

    def _entry_keys(self, names: Iterable[str], unsealer: _Unsealer) -> dict[str, bytes]:
        header = self._header
        found = {}
        for name in names:
            record = layout.unpack_record(self._entries[name])
            found[name] = self._entry_key(record, unsealer, header)
        return found

    def _all_entry_keys(self, unsealer: _Unsealer) -> dict[str, bytes]:
        return self._entry_keys(list(self._entries), unsealer)

    def _entry_key(self, record: Record, unsealer: _Unsealer, header: Header) -> bytes:
        name = record.name.decode("utf-8")
        try:
            if unsealer.escrow is not None:
                key = crypto.unseal(
                    record.sealed,
                    unsealer.escrow,
                    header.escrow_public,
                    header.vault_id + record.name,
                    crypto.INFO_V2_SEAL,
                )
            else:
                slot = unsealer.slot
                output = unsealer.outputs.get(record.name)
                if slot is None or output is None:
                    raise VaultError(f"the key of entry {name!r} was not released")
                boxed = record.wraps.get(slot.slot_id)
                if boxed is None:
                    raise VaultError(
                        f"entry {name!r} was written while the key {slot.name!r} was away: "
                        "connect it with the key that wrote it (or have the recovery code "
                        "ready) and run `tokenring sync`"
                    )
                key = crypto.unbox(
                    keyslots.entry_kek(output, header.vault_id, slot.slot_id),
                    boxed,
                    keyslots.wrap_aad(header.vault_id, slot.slot_id, record.name),
                )
        except crypto.SealError:
            raise self._corrupt(f"entry {name!r} does not decrypt") from None
        if len(key) != crypto.KEY_SIZE:
            raise self._corrupt(f"entry {name!r} does not decrypt")
        return key

    def _decrypt(self, record: Record, unsealer: _Unsealer, header: Header) -> bytes:
        key = self._entry_key(record, unsealer, header)
        try:
            return crypto.decrypt_value(key, record.token)
        except InvalidToken:
            raise self._corrupt(f"entry {record.name.decode('utf-8')!r} does not decrypt") from None

    def _seal_escrow(self, entry_key: bytes, header: Header, name: bytes) -> bytes:
        return crypto.seal(
            entry_key,
            header.escrow_public,
            self._random(crypto.KEY_SIZE),
            header.vault_id + name,
            crypto.INFO_V2_SEAL,
        )

    def _box_for(
        self, slot: AuthenticatorSlot, output: bytes, entry_key: bytes, name: bytes
    ) -> bytes:
        header = self._header
        return crypto.box(
            keyslots.entry_kek(output, header.vault_id, slot.slot_id),
            entry_key,
            keyslots.wrap_aad(header.vault_id, slot.slot_id, name),
            self._random(crypto.NONCE_SIZE),
        )

    def _seal_entry(
        self,
        name: bytes,
        value: bytes,
        now: int,
        touched: keyslots.Touched | None,
        outputs: Mapping[bytes, bytes],
    ) -> bytes:
        header = self._header
        entry_key = self._random(crypto.KEY_SIZE)
        token = crypto.encrypt_value(entry_key, value, now)
        wraps = {}
        if touched is not None and name in outputs:
            wraps[touched.slot.slot_id] = self._box_for(
                touched.slot, outputs[name], entry_key, name
            )
        sealed = self._seal_escrow(entry_key, header, name)
        return layout.pack_record(Record(name, sealed, wraps, token))

    def _wraps_for(
        self,
        slot: AuthenticatorSlot,
        source: KeySource,
        entry_keys: Mapping[str, bytes],
        *,
        reason: str,
    ) -> dict[str, bytes]:
        """Wraps of ``entry_keys`` for the everyday ``slot``: one touch per two entries."""
        header = self._header
        names = sorted(entry_keys)
        wraps = {}
        for start in range(0, len(names), 2):
            pair = [name.encode("utf-8") for name in names[start : start + 2]]
            touched = keyslots.touch_everyday(
                header, self.path, source, pair, want_index=False, reason=reason, only=[slot]
            )
            for encoded in pair:
                wraps[encoded.decode("utf-8")] = self._box_for(
                    slot, touched.outputs[encoded], entry_keys[encoded.decode("utf-8")], encoded
                )
        return wraps

    def _bind_new_everyday(
        self,
        slot: AuthenticatorSlot,
        keys: keyslots.Keys,
        opener: Opener,
        entry_keys: Mapping[str, bytes],
        *,
        reason: str,
        now: int,
        index: bool = True,
    ) -> tuple[AuthenticatorSlot, dict[str, bytes]]:
        """An everyday slot's index wrap under ``keys`` and its wraps of ``entry_keys``.

        The first touch asks for the index salt and one entry salt; then two
        entries per touch.
        """
        source = self._source(opener)
        names = sorted(entry_keys)
        wraps: dict[str, bytes] = {}
        start = 0
        if index:
            first = [name.encode("utf-8") for name in names[:1]]
            derivation = keyslots.derive(
                source,
                [slot],
                [keys.index_salt, *(crypto.entry_salt(keys.vault_id, n) for n in first)],
                self.path,
                reason=reason,
            )
            slot = attrs.evolve(
                slot,
                index_key=crypto.wrap(
                    keyslots.index_kek(derivation.outputs[0], keys.vault_id), keys.index_key, now
                ),
            )
            for encoded, output in zip(first, derivation.outputs[1:], strict=True):
                wraps[encoded.decode("utf-8")] = crypto.box(
                    keyslots.entry_kek(output, keys.vault_id, slot.slot_id),
                    entry_keys[encoded.decode("utf-8")],
                    keyslots.wrap_aad(keys.vault_id, slot.slot_id, encoded),
                    self._random(crypto.NONCE_SIZE),
                )
            start = len(first)
        rest = names[start:]
        for offset in range(0, len(rest), 2):
            pair = [name.encode("utf-8") for name in rest[offset : offset + 2]]
            derivation = keyslots.derive(
                source,
                [slot],
                [crypto.entry_salt(keys.vault_id, n) for n in pair],
                self.path,
                reason=f"{reason} ({offset + start + len(pair)} of {len(names)})",
            )
            for encoded, output in zip(pair, derivation.outputs, strict=True):
                wraps[encoded.decode("utf-8")] = crypto.box(
                    keyslots.entry_kek(output, keys.vault_id, slot.slot_id),
                    entry_keys[encoded.decode("utf-8")],
                    keyslots.wrap_aad(keys.vault_id, slot.slot_id, encoded),
                    self._random(crypto.NONCE_SIZE),
                )
        return slot, wraps

    def _replace_slot(
        self, before: Header, slot: AuthenticatorSlot, wraps: Mapping[str, bytes]
    ) -> None:
        with self._file.locked():
            self._refresh()
            self._same_keys(before)
            current = self._header
            for name, boxed in wraps.items():
                record = self._entries.get(name)
                if record is not None:
                    self._entries[name] = _with_wrap(record, slot.slot_id, boxed)
            slots = tuple(slot if s.name == slot.name else s for s in current.slots)
            self._store(attrs.evolve(current, slots=slots))

    def _escrow_or_rekey(
        self, opener: Opener, *, reason: str, required: bool, force_touch: bool = False
    ) -> X25519PrivateKey | None:
        """The escrow private key from an escrow opener in ``opener``, or None.

        ``required`` raises a UsageError naming what would do when there is none.
        """
        header = self._header
        if keyslots.can_escrow(header, opener):
            try:
                escrow = keyslots.open_escrow(header, self.path, opener, reason=reason)
            except WrongKeyError:
                if required:
                    raise
            else:
                self._adopt(self._unseal_index(escrow.private))
                return escrow.private
        if required:
            raise UsageError(
                f"this opens the whole vault {self.path}: give the recovery code, connect a "
                "backup key, or use the keyring slot"
            )
        if not self.is_unlocked or force_touch:
            self.unlock(opener, reason=reason)
        return None

    def _remake_slots(
        self,
        kept: Sequence[layout.Slot],
        keys: keyslots.Keys,
        opener: Opener,
        *,
        reason: str,
        now: int,
        recovery_scrypt: ScryptParams | None,
    ) -> tuple[list[layout.Slot], str | None, list[KeyringSlot]]:
        """Every kept slot re-made for ``keys``: connected keys touched once, others stale."""
        authenticators = {s.name: s for s in kept if isinstance(s, AuthenticatorSlot)}
        fresh: dict[str, AuthenticatorSlot] = {}
        pending = dict(authenticators)
        source = opener.key_source
        while pending and source is not None:
            try:
                derivation = source.derive(
                    [slot.credential for slot in pending.values()],
                    [keys.index_salt, keys.escrow_salt],
                    reason=f"{reason} (still to touch: {', '.join(map(repr, pending))})",
                )
            except WrongKeyError:
                break
            slot = keyslots.slot_of(derivation, list(pending.values()), self.path)
            index_output, escrow_output = derivation.outputs
            if slot.everyday:
                fresh[slot.name] = attrs.evolve(
                    slot,
                    index_key=crypto.wrap(
                        keyslots.index_kek(index_output, keys.vault_id), keys.index_key, now
                    ),
                )
            else:
                private = keys.escrow_private
                if private is None:
                    raise VaultError("the new escrow key is missing")
                fresh[slot.name] = attrs.evolve(
                    slot,
                    escrow_key=keyslots.wrap_escrow(keys.vault_id, escrow_output, private, now),
                )
            del pending[slot.name]
        slots: list[layout.Slot] = []
        code: str | None = None
        stale: list[KeyringSlot] = []
        for old in kept:
            if isinstance(old, AuthenticatorSlot):
                slots.append(
                    fresh.get(old.name) or attrs.evolve(old, index_key=None, escrow_key=None)
                )
            elif isinstance(old, KeyringSlot):
                if opener.keyring is None:
                    raise UsageError(f"re-keying needs the keyring that holds slot {old.name!r}")
                slots.append(
                    keyslots.keyring_slot(old.name, opener.keyring, keys, self._random, now)
                )
                stale.append(old)
            else:
                scrypt = recovery_scrypt or old.scrypt
                recovery, code = keyslots.recovery_slot(old.name, scrypt, keys, self._random, now)
                slots.append(recovery)
        return slots, code, stale

    def _commit_rekey(
        self,
        header: Header,
        index_key: bytes,
        entry_keys: Mapping[str, bytes],
        *,
        dropped: str | None = None,
    ) -> None:
        """Write ``header`` with every entry re-sealed to its escrow key (same values)."""
        before = self._loaded.stamp
        old_header = self._header
        dropped_ids = {
            s.slot_id
            for s in old_header.slots
            if isinstance(s, AuthenticatorSlot) and s.name == dropped
        }
        with self._file.locked():
            if self._file.stamp() != before:
                raise VaultError(f"{self.path} changed during rotation; rotate again")
            entries = {}
            for name, raw in self._entries.items():
                record = layout.unpack_record(raw)
                wraps = {k: v for k, v in record.wraps.items() if k not in dropped_ids}
                sealed = self._seal_escrow(entry_keys[name], header, record.name)
                entries[name] = layout.pack_record(Record(record.name, sealed, wraps, record.token))
            self._index_key = index_key
            self._entries = entries
            self._store(header)

    def _remove_everyday(
        self, slot: AuthenticatorSlot, opener: Opener | None, *, reason: str
    ) -> None:
        """Drop an everyday slot: new epoch and index key, its wraps gone from every entry."""
        old = self._header
        keys = keyslots.Keys(
            vault_id=old.vault_id,
            epoch=self._random(16),
            escrow_salt=old.escrow_salt,
            index_key=self._random(crypto.KEY_SIZE),
            escrow_private=None,
            escrow_public=old.escrow_public,
        )
        now = int(self._clock())
        kept = [s for s in old.slots if s.name != slot.name]
        fresh: dict[str, AuthenticatorSlot] = {}
        pending = {s.name: s for s in kept if isinstance(s, AuthenticatorSlot) and s.everyday}
        source = None if opener is None else opener.key_source
        while pending and source is not None:
            try:
                derivation = source.derive(
                    [s.credential for s in pending.values()],
                    [keys.index_salt],
                    reason=f"{reason} (still to touch: {', '.join(map(repr, pending))})",
                )
            except WrongKeyError:
                break
            reached = keyslots.slot_of(derivation, list(pending.values()), self.path)
            fresh[reached.name] = attrs.evolve(
                reached,
                index_key=crypto.wrap(
                    keyslots.index_kek(derivation.outputs[0], keys.vault_id), keys.index_key, now
                ),
            )
            del pending[reached.name]
        slots: list[layout.Slot] = []
        for kept_slot in kept:
            if kept_slot.name in fresh:
                slots.append(fresh[kept_slot.name])
            elif kept_slot.name in pending:
                slots.append(attrs.evolve(pending[kept_slot.name], index_key=None))
            else:
                slots.append(kept_slot)
        header = keyslots.Keys.header(keys, slots, self._random)
        before = self._loaded.stamp
        with self._file.locked():
            if self._file.stamp() != before:
                raise VaultError(f"{self.path} changed while a slot was removed; try again")
            entries = {}
            for name, raw in self._entries.items():
                record = layout.unpack_record(raw)
                if slot.slot_id in record.wraps:
                    wraps = {k: v for k, v in record.wraps.items() if k != slot.slot_id}
                    raw = layout.pack_record(attrs.evolve(record, wraps=wraps))
                entries[name] = raw
            self._index_key = keys.index_key
            self._entries = entries
            self._store(header)

    def _convert_for_write(self, opener: Opener | None, reason: str) -> None:
        """Convert a version-1 file before its first write (the write's own touch aside)."""
        v1 = self._v1
        if v1 is None:
            return
        if any(isinstance(s, v1layout.RecoverySlot) for s in v1.slots):
            raise UsageError(
                f"{self.path} is in format version 1 and has a recovery code: run "
                "`tokenring upgrade` to convert it (a new recovery code is shown once)"
            )
        use = opener if opener is not None else self._v1_opener
        if use is None:
            raise NotUnlockedError(
                f"{self.path} is in format version 1: converting it needs a key; "
                "run `tokenring upgrade`"
            )
        self.upgrade(use, reason=reason)

    def _v1_release(
        self, opener: Opener, *, index: bool, read: bool, reason: str
    ) -> v1slots.Released:
        from secrets_common.vault import v1slots

        v1 = self._v1
        if v1 is None:
            raise VaultError("internal: not a version-1 vault")
        return v1slots.open_any(
            v1, self.path, opener, v1slots.Wanted(index=index, read=read), reason=reason
        )

    def _v1_read(self, name: str, encoded: bytes, opener: Opener, *, reason: str) -> bytes:
        v1 = self._v1
        if v1 is None:
            raise VaultError("internal: not a version-1 vault")
        locked = self._index_key is None
        released = self._v1_release(opener, index=locked, read=True, reason=reason)
        if locked:
            self._adopt(released.index_key)
        private = released.read_private
        if private is None:
            raise VaultError(f"the read key of {self.path} was not released")
        record = self._entries.get(name)
        if record is None:
            raise NotFoundError(f"no entry {name!r} in {self.path}")
        _, sealed, token = v1layout.unpack_record(record)
        try:
            entry_key = crypto.unseal(sealed, private, v1.read_public, encoded)
            return crypto.decrypt_value(entry_key, token)
        except (crypto.SealError, InvalidToken):
            raise self._corrupt(f"entry {name!r} does not decrypt") from None

    def _adopt(self, index_key: bytes | None) -> None:
        """Take ``index_key`` and decrypt the current index with it."""
        if index_key is None:
            raise VaultError(f"the index key of {self.path} was not released")
        if self._index_key is not None and hmac.compare_digest(index_key, self._index_key):
            return  # the index of this very file is decrypted already (see _refresh)
        self._entries, self._generation, self._loaded = self._open_index(self._loaded, index_key)
        self._index_key = index_key

    def _open_index(
        self, loaded: _Loaded, index_key: bytes
    ) -> tuple[dict[str, bytes], int, _Loaded]:
        """The records and generation of ``loaded`` (or a newer file), after the rollback check."""
        for _ in range(5):
            entries, generation = _open_index(self._file.path, loaded, index_key)
            vault_id = loaded.header.vault_id.hex()
            try:
                self._guard.check(self.path, vault_id, generation)
            except RollbackError:
                # A writer may have replaced the file and logged its generation
                # between our read and our check: only a file that is still
                # the one we read is a rollback.
                if self._file.stamp() == loaded.stamp:
                    raise
                loaded = _load(self._file)
                continue
            self._guard.record(self.path, vault_id, generation)
            return entries, generation, loaded
        raise VaultError(f"{self.path} keeps changing; try again")

    def _refresh(self) -> None:
        """Re-read the file if another process replaced it since we last looked."""
        if self._file.stamp() == self._loaded.stamp:
            return
        loaded = _load(self._file)
        if self._index_key is None:
            self._loaded = loaded
            return
        before = self._loaded.header
        if (
            loaded.version != self._loaded.version
            or loaded.header.vault_id != before.vault_id
            or _rekey_mark(loaded.header) != _rekey_mark(before)
        ):
            self.lock()
            self._loaded = loaded
            raise VaultRekeyedError(
                f"vault {self.path} was re-keyed by another process; unlock it again"
            )
        try:
            self._entries, self._generation, loaded = self._open_index(loaded, self._index_key)
        except VaultError:
            self.lock()
            self._loaded = loaded
            raise
        self._loaded = loaded

    def _same_keys(self, header: Header) -> None:
        """VaultRekeyedError if the file was re-keyed since ``header`` was used for a touch."""
        if _rekey_mark(self._header) != _rekey_mark(header):
            self.lock()
            raise VaultRekeyedError(f"vault {self.path} was re-keyed by another process; try again")

    def _need_unlocked(self) -> None:
        if self._index_key is None:
            raise NotUnlockedError(f"vault {self.path} is locked; unlock it first")

    def _store(self, header: Header) -> None:
        """Write ``header`` and the current entries as the next generation (lock held)."""
        if self._index_key is None:
            raise NotUnlockedError(f"vault {self.path} is locked; unlock it first")
        generation = max(self._generation, self._guard.last(header.vault_id.hex())) + 1
        line, body = _seal_file(
            header,
            self._index_key,
            self._entries,
            generation,
            int(self._clock()),
            self._random(16),
        )
        stamp = self._file.replace(line + b"\n" + body)
        self._loaded = _Loaded(line, header, body, stamp)
        self._generation = generation
        self._guard.record(self.path, header.vault_id.hex(), generation)

    def _corrupt(self, detail: str) -> VaultError:
        return VaultError(f"{self.path} is damaged or was tampered with: {detail}")


def _has_escrow_holder(header: Header) -> bool:
    return any(
        isinstance(slot, KeyringSlot | RecoverySlot)
        or (isinstance(slot, AuthenticatorSlot) and not slot.everyday and slot.escrow_key)
        for slot in header.slots
    )


def _rekey_mark(header: Header | v1layout.Header) -> tuple[bytes, bytes]:
    if isinstance(header, Header):
        return header.epoch, header.escrow_public
    return header.epoch, header.read_public


def _with_wrap(raw: bytes, slot_id: bytes, boxed: bytes) -> bytes:
    record = layout.unpack_record(raw)
    return layout.pack_record(attrs.evolve(record, wraps={**record.wraps, slot_id: boxed}))


def _store_reason(items: Mapping[str, bytes]) -> str:
    names = list(items)
    return f"store {names[0]!r}" if len(names) == 1 else f"store {len(names)} entries"


def _check_opener(opener: object) -> None:
    if not isinstance(opener, Opener):
        raise TypeError(f"opener must be an Opener, got {type(opener).__name__}")


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
        line, body = v1layout.split_file(data)
        version = layout.version_of(line)
        header: Header | v1layout.Header = (
            layout.decode_header(line)
            if version == layout.VERSION
            else v1layout.decode_header(line)
        )
    except FormatError as error:
        raise VaultError(f"{file.path} cannot be used: {error}") from None
    return _Loaded(line, header, body, stamp)


def _open_index(path: Path, loaded: _Loaded, index_key: bytes) -> tuple[dict[str, bytes], int]:
    try:
        plain = crypto.fernet_decrypt_raw(index_key, loaded.body)
    except InvalidToken:
        raise VaultError(
            f"{path} is damaged or was tampered with: its index does not decrypt"
        ) from None
    try:
        if loaded.version == 1:
            digest, entries = v1layout.unpack_index(plain)
            generation = 0
        else:
            digest, generation, entries = layout.unpack_index(plain)
    except FormatError as error:
        raise VaultError(f"{path} is damaged or was tampered with: {error}") from None
    if not hmac.compare_digest(digest, layout.header_digest(loaded.line)):
        raise VaultError(f"{path} is damaged or was tampered with: its header was changed")
    return entries, generation


def _seal_file(
    header: Header,
    index_key: bytes,
    entries: dict[str, bytes],
    generation: int,
    now: int,
    iv: bytes,
) -> tuple[bytes, bytes]:
    line = layout.encode_header(header)
    plain = layout.pack_index(
        layout.header_digest(line), generation, entries.values(), len(entries)
    )
    return line, crypto.fernet_encrypt_raw(index_key, plain, now, iv)


def _slot_info(slot: layout.Slot | v1layout.Slot) -> SlotInfo:
    if isinstance(slot, AuthenticatorSlot | v1layout.AuthenticatorSlot):
        mode = ", PIN" if slot.credential.uv else ""
        role = slot.role if isinstance(slot, AuthenticatorSlot) else "everyday"
        stale = ""
        if isinstance(slot, AuthenticatorSlot) and (
            (slot.everyday and slot.index_key is None)
            or (not slot.everyday and slot.escrow_key is None)
        ):
            stale = ", needs sync"
        detail = (
            f"{role} key, {slot.credential.rp_id}, "
            f"credential {slot.credential.credential_id.hex()[:12]}…{mode}{stale}"
        )
        return SlotInfo(slot.name, slot.kind, detail, role, slot.credential)
    if isinstance(slot, KeyringSlot | v1layout.KeyringSlot):
        detail = f"keyring {slot.service!r} / {slot.username!r}"
        return SlotInfo(slot.name, slot.kind, detail, username=slot.username)
    detail = f"scrypt n=2^{slot.scrypt.n.bit_length() - 1}, r={slot.scrypt.r}, p={slot.scrypt.p}"
    return SlotInfo(slot.name, slot.kind, detail)


__all__ = ["NewKeyringSlot", "SlotInfo", "Vault"]
