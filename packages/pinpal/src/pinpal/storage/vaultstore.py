"""The real :class:`~pinpal.storage.store.RecordStore`: one shared-core vault file.

The vault lives at ``SECRETS_HOME/pinpal/vault`` and is opened through a
keyring slot: a random key kept by ``keyring`` (the OS keychain on a desktop;
the hardware key where TokenRing is the keyring backend), asked once per
command (:mod:`pinpal.storage.keyringmemo`). One entry per label. The vault is
created on first write, not on a read of an empty state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from pinpal.storage.keyringmemo import RememberingKeyring
from pinpal.storage.keyrings import configured_keyring
from pinpal.storage.store import RecordStore
from secrets_common.errors import NotFoundError
from secrets_common.vault import (
    KeyringBackend,
    NewKeyringSlot,
    Opener,
    SlotOpenError,
    Vault,
)

VAULT_FILE = "vault"
REASON = "PINPal: practise your secrets"


class VaultStore:
    def __init__(
        self,
        path: Path,
        keyring: Callable[[], KeyringBackend] = configured_keyring,
    ) -> None:
        self.path = path
        self._keyring_factory = keyring
        self._backend: KeyringBackend | None = None
        self._vault: Vault | None = None

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
        if not self.path.exists():
            if not create:
                return None
            self._vault, _ = Vault.create(self.path, NewKeyringSlot(backend=self._keyring()))
        else:
            try:
                self._vault = Vault.open(self.path).unlock(self._opener(), reason=REASON)
            except SlotOpenError as error:
                # PINPal's vault has no recovery slot: what it holds can be
                # learned again, which the user should know how to start.
                from secrets_common.cli.invocation import command

                raise SlotOpenError(
                    f"{error}; if this vault came from another machine, its key stayed "
                    "behind in that machine's keyring (the key never travels with the file); "
                    f"if the keyring lost this key for good, move {self.path} "
                    f"away and start again with `{command('pinpal', 'new')}`"
                ) from None
        return self._vault

    def labels(self) -> list[str]:
        vault = self._open(create=False)
        return [] if vault is None else vault.names()

    def read(self, label: str) -> bytes:
        vault = self._open(create=False)
        if vault is None or label not in vault:
            raise NotFoundError(f"no secret is called {label!r}")
        return vault.read(label, self._opener(), reason=REASON)

    def write(self, label: str, data: bytes) -> None:
        vault = self._open(create=True)
        if vault is None:  # pragma: no cover - create=True always yields a vault
            raise NotFoundError(str(self.path))
        vault.write(label, data)

    def write_many(self, items: Mapping[str, bytes]) -> None:
        vault = self._open(create=True)
        if vault is None:  # pragma: no cover - create=True always yields a vault
            raise NotFoundError(str(self.path))
        vault.write_many(items)

    def delete(self, label: str) -> None:
        vault = self._open(create=False)
        if vault is None:
            raise NotFoundError(f"no secret is called {label!r}")
        vault.delete(label)

    def generation(self) -> object:
        # The vault replaces its file atomically on every change: a new inode.
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)


_check: type[RecordStore] = VaultStore
