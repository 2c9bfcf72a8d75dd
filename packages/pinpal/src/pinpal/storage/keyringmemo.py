"""The keyring's answer, asked for once per command.

The vault asks the keyring for its slot secret at every unlock and every
entry read. Where TokenRing is the keyring backend each of those asks is a
touch of the security key, so `pinpal list` with five labels would want six
touches. PINPal holds the answer for the rest of one command instead (one
process, about a second), the same span for which the vault already holds
its index key and PINPal the decrypted records: one touch per command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from secrets_common.errors import SecretsError
from secrets_common.vault import KeyringBackend, KeyringUnavailableError

R = TypeVar("R")


class RememberingKeyring:
    """A :class:`KeyringBackend` that asks ``backend`` at most once per service and user."""

    def __init__(self, backend: KeyringBackend) -> None:
        self._backend = backend
        self._answers: dict[tuple[str, str], str | None] = {}

    def __repr__(self) -> str:
        return f"RememberingKeyring({self._backend!r}, {len(self._answers)} remembered)"

    def get_password(self, service: str, username: str) -> str | None:
        key = (service, username)
        if key not in self._answers:
            self._answers[key] = _unwrapped(self._backend.get_password, service, username)
        return self._answers[key]

    def set_password(self, service: str, username: str, password: str) -> None:
        _unwrapped(self._backend.set_password, service, username, password)
        self._answers[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        self._answers.pop((service, username), None)
        self._backend.delete_password(service, username)


def _unwrapped(call: Callable[..., R], *args: str) -> R:
    import keyring.errors

    try:
        return call(*args)
    except keyring.errors.KeyringLocked:
        from pinpal.storage.keyrings import locked_keyring

        raise KeyringUnavailableError(locked_keyring()) from None
    except Exception as error:
        # TokenRing must raise keyring's own error class, and hangs the
        # toolkit's error (a touch refused, a wrong key) on it as
        # `secrets_error` (not as its cause: that would print python-fido2's
        # stack in every client); that class keeps its exit status (3), where
        # the vault would report any keyring error as an unusable vault (4).
        original = getattr(error, "secrets_error", None)
        if isinstance(original, SecretsError):
            raise original from None
        raise


_check: type[KeyringBackend] = RememberingKeyring
