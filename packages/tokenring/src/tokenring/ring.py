"""TokenRing's entries in a shared vault: (service, user) → password.

Each keyring entry is one vault entry named ``json.dumps([service, user])``
(unambiguous whatever characters either part holds) with the password's
UTF-8 bytes as its value. Every read is the vault's one-touch read; every
write is one touch too (vault format 2: the key wraps that entry, and only
that entry, for itself); listing and deleting work on the unlocked vault
without a touch, and unlock it first (one touch) when it is locked.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from secrets_common.errors import NotFoundError, UsageError, VaultError
from secrets_common.vault import Opener, Vault


def entry_name(service: str, user: str) -> str:
    return json.dumps([service, user], ensure_ascii=False)


def parse_entry_name(name: str) -> tuple[str, str] | None:
    """The (service, user) of a TokenRing entry name, or None for a foreign name."""
    try:
        parsed = json.loads(name)
    except ValueError:
        return None
    if (
        isinstance(parsed, list)
        and len(parsed) == 2
        and isinstance(parsed[0], str)
        and isinstance(parsed[1], str)
    ):
        return parsed[0], parsed[1]
    return None


class MissingVaultError(NotFoundError):
    """There is no vault file yet."""


LOCK_TIMEOUT_VARIABLE = "TOKENRING_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 10.0


def lock_timeout(environ: Mapping[str, str] | None = None) -> float:
    """Seconds to wait for another writer's lock on the vault file (``TOKENRING_LOCK_TIMEOUT``)."""
    text = (os.environ if environ is None else environ).get(LOCK_TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise UsageError(
            f"{LOCK_TIMEOUT_VARIABLE} must be a number of seconds, not {text!r}"
        ) from None
    # 0 means "do not wait"; a negative or endless wait is a typo, not a wish.
    if not 0 <= value < float("inf"):
        raise UsageError(
            f"{LOCK_TIMEOUT_VARIABLE} must be 0 or a positive number of seconds, not {text!r}"
        )
    return value


def missing_vault(path: Path, hint: str | None = None) -> MissingVaultError:
    """The error for no vault at ``path``, naming the command that creates one.

    ``hint`` defaults to that command as this process's tool was invoked.
    """
    if hint is None:
        from secrets_common.cli.invocation import command

        hint = command("tokenring", "init")
    return MissingVaultError(f"no TokenRing vault at {path}; create one with `{hint}`")


def open_vault(path: Path) -> Vault:
    """The vault at ``path``, locked; a one-line hint when there is none yet."""
    if not path.exists():
        raise missing_vault(path)
    return Vault.open(path, lock_timeout=lock_timeout())


class Ring:
    """A vault seen as TokenRing entries, with the opener that unlocks it."""

    def __init__(self, vault: Vault, opener: Opener) -> None:
        self.vault = vault
        self._opener = opener

    @classmethod
    def open(cls, path: Path, opener: Opener) -> Ring:
        return cls(open_vault(path), opener)

    @property
    def is_unlocked(self) -> bool:
        return self.vault.is_unlocked

    def unlock(self, reason: str) -> None:
        if not self.vault.is_unlocked:
            self.vault.unlock(self._opener, reason=reason)

    def lock(self) -> None:
        self.vault.lock()

    def might_have(self, service: str, user: str) -> bool:
        """False only when the unlocked index shows there is no such entry (no touch)."""
        return not self.vault.is_unlocked or entry_name(service, user) in self.vault

    def get(self, service: str, user: str, *, reason: str) -> str | None:
        """The password (one touch), or None when there is no such entry."""
        name = entry_name(service, user)
        if self.vault.is_unlocked and name not in self.vault:
            return None  # no touch spent on an entry that is not there
        try:
            value = self.vault.read(name, self._opener, reason=reason)
        except NotFoundError:
            return None
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError(f"the entry for {user} in {service} is not text") from None

    def set(self, service: str, user: str, password: str, *, reason: str) -> None:
        """Store the password: one touch, locked or not (it also unlocks)."""
        self.vault.write(
            entry_name(service, user), password.encode("utf-8"), self._opener, reason=reason
        )

    def delete(self, service: str, user: str, *, reason: str) -> bool:
        """Remove the entry; whether it existed."""
        if not self.vault.is_unlocked:
            self.vault.wait_for_writers()  # before the unlock's touch, not after it
        self.unlock(reason)
        name = entry_name(service, user)
        if name not in self.vault:
            return False
        try:
            self.vault.delete(name)
        except NotFoundError:
            return False
        return True

    def entries(self, reason: str) -> list[tuple[str, str]]:
        """Every (service, user), sorted; never a password."""
        self.unlock(reason)
        found = (parse_entry_name(name) for name in self.vault.names())
        return sorted(entry for entry in found if entry is not None)
