"""The real :class:`~pinpal.storage.store.RecordStore`: one shared-core vault file.

The vault lives at ``SECRETS_HOME/pinpal/vault`` and is opened through a
keyring slot: a random key kept by ``keyring`` (the OS keychain on a desktop;
the hardware key where TokenRing is the keyring backend), asked once per
command (:mod:`pinpal.storage.keyringmemo`). One entry per label. The vault is
created on first write, not on a read of an empty state.

Only the vault PINPal made is used (:mod:`pinpal.storage.vaultpin`). When
plaintext leaves it, :meth:`VaultStore.rekey` crypto-shreds every earlier
copy of the file: a new keyring secret is stored, the vault rewritten under
it, and only then the old secret deleted. A crash before that deletion leaves
the old secret in the keyring (earlier copies still open with it) and its
name in the pin; the next command that opens the vault deletes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import attrs

from pinpal.storage import vaultpin
from pinpal.storage.keyringmemo import RememberingKeyring
from pinpal.storage.keyrings import configured_keyring
from pinpal.storage.listingfile import file_generation
from pinpal.storage.names import VAULT_FILE
from pinpal.storage.store import RecordStore
from pinpal.storage.vaultpin import PIN_FILE, Pin, UntrustedVaultError
from secrets_common.errors import NotFoundError
from secrets_common.vault import (
    KEYRING_SERVICE,
    KeyringBackend,
    NewKeyringSlot,
    Opener,
    SlotOpenError,
    Vault,
    VaultRekeyedError,
)

T = TypeVar("T")

__all__ = ["REASON", "VAULT_FILE", "VaultStore"]

REASON = "PINPal: practise your secrets"


class VaultStore:
    def __init__(
        self,
        path: Path,
        keyring: Callable[[], KeyringBackend] = configured_keyring,
    ) -> None:
        self.path = path
        self.pin_path = path.parent / PIN_FILE
        self._keyring_factory = keyring
        self._backend: KeyringBackend | None = None
        self._vault: Vault | None = None
        # Whether this store made the vault (the first `new` on a machine).
        self._created = False
        # Whether the pin said, as the vault was opened, that a re-key is owed.
        self._owed = False

    def _keyring(self) -> KeyringBackend:
        if self._backend is None:
            self._backend = RememberingKeyring(self._keyring_factory())
        return self._backend

    def _opener(self) -> Opener:
        return Opener(keyring=self._keyring())

    def _open(self, create: bool) -> Vault | None:
        if self._vault is not None:
            return self._vault
        # Fail early, before a secret is generated or the hash calibrated,
        # when no keyring backend is usable.
        self._keyring()
        pin = vaultpin.read_pin(self.pin_path)
        if not self.path.exists():
            if pin is not None:
                raise UntrustedVaultError(
                    f"PINPal's vault {self.path} is missing; put it back, or "
                    f"`{_command('start-over')}` forgets it and starts a new one"
                )
            if not create:
                return None
            vault, _ = Vault.create(self.path, NewKeyringSlot(backend=self._keyring()))
            self._created = True
            vaultpin.write_pin(self.pin_path, Pin(vault.vault_id, self._slot(vault)))
            self._vault = vault
            return vault
        vault = Vault.open(self.path)
        # Checked before the vault is unlocked or written: a planted vault
        # gets nothing, and its keyring secret is read only to tell it apart.
        slot = self._slot(vault)
        if pin is not None and not pin.accepts(vault.vault_id, slot):
            raise UntrustedVaultError(
                f"{self.path} is not the vault PINPal made here, so nothing was read from "
                f"or written to it; `{_command('start-over')}` sets it aside and starts "
                "a new one"
            )
        try:
            self._vault = vault.unlock(self._opener(), reason=REASON)
        except SlotOpenError as error:
            # PINPal's vault has no recovery slot: what it holds can be
            # learned again, which the user should know how to start.
            raise SlotOpenError(
                f"{error}; if this vault came from another machine, its key stayed "
                "behind in that machine's keyring (the key never travels with the file); "
                f"if the keyring lost this key for good, "
                f"`{_command('start-over')}` sets the vault aside and starts a new one"
            ) from None
        # Trust on first use (a vault made before pins), or finish a re-key
        # that a crash interrupted.
        self._settle(pin, vault, slot)
        self._owed = pin is not None and pin.owed
        return self._vault

    def _slot(self, vault: Vault) -> vaultpin.Slot:
        """The vault's keyring slot as pinned (its secret read through the memo)."""
        names = [info.username for info in vault.slots() if info.kind == "keyring"]
        if len(names) != 1:
            raise UntrustedVaultError(
                f"{self.path} is not the vault PINPal made here (it has {len(names)} keyring "
                f"slots); `{_command('start-over')}` sets it aside and starts a new one"
            )
        secret = self._keyring().get_password(KEYRING_SERVICE, names[0])
        if secret is None:
            return vaultpin.Slot(names[0], "")
        return vaultpin.Slot(names[0], vaultpin.tag(vault.vault_id, names[0], secret))

    def _settle(self, pin: Pin | None, vault: Vault, slot: vaultpin.Slot) -> None:
        if pin is not None and pin.slot == slot and pin.next is None and not pin.shred:
            return
        stale = [] if pin is None else [pin.slot.username, *pin.shred]
        if pin is not None and pin.next is not None:
            stale.append(pin.next.username)
        stale = [name for name in stale if name != slot.username]
        owed = pin is not None and pin.owed
        self._shred(vault.vault_id, slot, tuple(dict.fromkeys(stale)), owed=owed)

    def _shred(
        self, vault_id: str, slot: vaultpin.Slot, stale: tuple[str, ...], owed: bool = False
    ) -> None:
        """Pin ``slot``, delete the keyring secrets of ``stale``, pin it alone."""
        vaultpin.write_pin(self.pin_path, Pin(vault_id, slot, shred=stale, owed=owed))
        if not stale:
            return
        import keyring.errors

        for username in stale:
            # Already gone (a crash after the delete, before the pin) is fine.
            with contextlib.suppress(keyring.errors.KeyringError):
                self._keyring().delete_password(KEYRING_SERVICE, username)
        vaultpin.write_pin(self.pin_path, Pin(vault_id, slot, owed=owed))

    def owe_rekey(self) -> None:
        pin = vaultpin.read_pin(self.pin_path)
        if pin is not None and not pin.owed:
            vaultpin.write_pin(self.pin_path, attrs.evolve(pin, owed=True))

    def rekey_owed(self) -> bool:
        return self._owed

    def rekey(self) -> None:
        """A new keyring secret for the vault; the old one deleted (crypto-shredding).

        Every earlier copy of the file was sealed to the old secret's escrow
        key, so none opens once it is deleted. Under TokenRing this stores one
        new entry and deletes one.
        """
        self._with_vault(False, self._rekey)

    def _rekey(self, vault: Vault) -> None:
        pin = vaultpin.read_pin(self.pin_path)
        current = self._slot(vault)
        if pin is None:  # pragma: no cover - _open wrote it
            pin = Pin(vault.vault_id, current)
        staging = _Staging(self._keyring(), vault.vault_id, self.pin_path, pin)
        vault.rotate(Opener(keyring=staging), reason=REASON)
        stale = dict.fromkeys((current.username, *staging.deferred))
        self._shred(vault.vault_id, self._slot(vault), tuple(stale))
        self._owed = False

    def _with_vault(self, create: bool, action: Callable[[Vault], T]) -> T | None:
        """``action`` on the open vault (None if there is none and ``create`` is false).

        Another PINPal process may re-key the vault between two steps of this
        one (under the state lock, so at most once): then it is opened again
        under its new keyring secret, through the same pin checks, and the
        step is retried. Nothing was written by the attempt that failed.
        """
        vault = self._open(create)
        if vault is None:
            return None
        try:
            return action(vault)
        except VaultRekeyedError:
            self._vault = None
            vault = self._open(create)
            return None if vault is None else action(vault)

    def labels(self) -> list[str]:
        return self._with_vault(False, lambda vault: vault.names()) or []

    def read(self, label: str) -> bytes:
        def read(vault: Vault) -> bytes:
            if label not in vault:
                raise NotFoundError(f"no secret is called {label!r}")
            return vault.read(label, self._opener(), reason=REASON)

        found = self._with_vault(False, read)
        if found is None:
            raise NotFoundError(f"no secret is called {label!r}")
        return found

    def write(self, label: str, data: bytes) -> None:
        self.write_many({label: data})

    def write_many(self, items: Mapping[str, bytes]) -> None:
        self._with_vault(True, lambda vault: vault.write_many(items))

    def delete(self, label: str) -> None:
        def delete(vault: Vault) -> bool:
            vault.delete(label)
            return True

        if self._with_vault(False, delete) is None:
            raise NotFoundError(f"no secret is called {label!r}")

    def discard(self) -> bool:
        """Remove the vault this store made, if it is empty again: its keyring
        secrets, the file, the pin and its rollback record.

        A vault that was there before, or that holds anything, stays.
        """
        vault = self._vault
        if not self._created or vault is None or vault.names():
            return False
        import keyring.errors

        from secrets_common.vault.rollback import default_log

        pin = vaultpin.read_pin(self.pin_path)
        stale = [info.username for info in vault.slots() if info.kind == "keyring"]
        if pin is not None:
            stale += [pin.slot.username, *pin.shred]
            stale += [] if pin.next is None else [pin.next.username]
        for username in dict.fromkeys(stale):
            with contextlib.suppress(keyring.errors.KeyringError):
                self._keyring().delete_password(KEYRING_SERVICE, username)
        # The vault's own write lock goes too: it is taken only under the
        # state lock, which this command holds.
        for leftover in (self.path, self.path.with_name(self.path.name + ".lock"), self.pin_path):
            leftover.unlink(missing_ok=True)
        default_log().forget_vault(self.path, vault.vault_id)
        self._vault = None
        self._created = False
        return True

    def generation(self) -> tuple[int, int, int] | None:
        # The vault replaces its file atomically on every change: a new inode.
        return file_generation(self.path)


class _Staging:
    """The keyring as a re-key sees it: a new slot is pinned before its secret is
    stored, and deleting an old one waits until the pin says it is due."""

    def __init__(self, backend: KeyringBackend, vault_id: str, pin_path: Path, pin: Pin) -> None:
        self._backend = backend
        self._vault_id = vault_id
        self._pin_path = pin_path
        self._pin = pin
        self.deferred: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        return self._backend.get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        upcoming = vaultpin.Slot(username, vaultpin.tag(self._vault_id, username, password))
        vaultpin.write_pin(self._pin_path, _with_next(self._pin, upcoming))
        self._backend.set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        del service
        self.deferred.append(username)


def _with_next(pin: Pin, upcoming: vaultpin.Slot) -> Pin:
    return attrs.evolve(pin, next=upcoming)


def _command(name: str) -> str:
    from secrets_common.cli.invocation import command

    return command("pinpal", name)


_check: type[RecordStore] = VaultStore
_staging: type[KeyringBackend] = _Staging
