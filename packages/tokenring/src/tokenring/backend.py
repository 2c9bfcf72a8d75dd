"""The ``keyring`` backend: every password behind a touch of your security key.

Registered through the ``keyring.backends`` entry point. Installed into an
environment it outranks the OS backends (priority 20), so ``keyring`` calls
there — twine's, say — go through it. It asks the agent, starting one when
none runs (``TOKENRING_NO_AGENT=1``: in-process only). Turn it off with
``TOKENRING_DISABLE=1`` (or choose another backend with
``PYTHON_KEYRING_BACKEND`` / keyringrc).

Importing this module and reading :attr:`TokenRingKeyring.priority` touch no
device, file or socket: keyring does both for every installed backend.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from keyring import credentials, errors
from keyring.backend import KeyringBackend
from keyring.compat import properties

from secrets_common.errors import SecretsError

if TYPE_CHECKING:
    from tokenring.service import TokenRing

__all__ = ["DISABLE_VARIABLE", "PRIORITY", "TokenRingKeyring", "TouchOnReadCredential"]

PRIORITY = 20.0
DISABLE_VARIABLE = "TOKENRING_DISABLE"
INIT_COMMAND = "secrets ring init"
"""What creates the vault: named in full, as a keyring client has no ``tokenring`` context."""


class TokenRingKeyring(KeyringBackend):
    """keyring's view of a :class:`~tokenring.service.TokenRing` (held, not inherited).

    ``vault`` defaults to ``$TOKENRING_VAULT`` or ``$SECRETS_HOME/tokenring/vault``,
    resolved at each call so that one backend object follows the environment.
    """

    def __init__(self, vault: Path | None = None, *, use_agent: bool = True) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._vault = vault
        self._use_agent = use_agent

    @properties.classproperty
    def priority(cls) -> float:
        if os.environ.get(DISABLE_VARIABLE, "") not in ("", "0"):
            raise RuntimeError(f"TokenRing is switched off by {DISABLE_VARIABLE}")
        return PRIORITY

    def _ring(self) -> TokenRing:
        # Imported here: keyring imports every installed backend for each
        # process that uses it, and the vault brings in cryptography.
        from tokenring.service import TokenRing

        return TokenRing.from_environment(vault=self._vault, use_agent=self._use_agent)

    def get_password(self, service: str, username: str) -> str | None:
        ring = self._ring()
        try:
            if not ring.vault_exists():
                return None  # nothing stored yet: keyring's answer is "no password"
            return ring.get(service, username)
        except SecretsError as error:
            raise _short(errors.KeyringError, error) from None

    def set_password(self, service: str, username: str, password: str) -> None:
        if not password:
            # As `tokenring set` refuses it: almost always a mistake, never a secret.
            raise errors.PasswordSetError("TokenRing: the password is empty; nothing was stored")
        ring = self._ring()
        if not ring.vault_exists():
            raise _short(errors.PasswordSetError, _no_vault(ring.vault)) from None
        try:
            ring.set(service, username, password)
        except SecretsError as error:
            raise _short(errors.PasswordSetError, error) from None

    def delete_password(self, service: str, username: str) -> None:
        ring = self._ring()
        try:
            found = ring.vault_exists() and ring.delete(service, username)
        except SecretsError as error:
            raise _short(errors.PasswordDeleteError, error) from None
        if not found:
            raise errors.PasswordDeleteError(f"TokenRing: no entry for {username} in {service}")

    def get_credential(self, service: str, username: str | None) -> credentials.Credential | None:
        ring = self._ring()
        try:
            if not ring.vault_exists():
                return None
            if username is None:
                # The user name alone costs no touch through an unlocked agent;
                # the password is read (one touch) only if the caller asks for it,
                # as twine does not when it only looks up the user name.
                users = ring.users(service)
                return TouchOnReadCredential(ring, service, users[0]) if users else None
            password = ring.get(service, username)
        except SecretsError as error:
            raise _short(errors.KeyringError, error) from None
        if password is None:
            return None
        return credentials.SimpleCredential(username, password)


def _no_vault(path: Path) -> SecretsError:
    """No vault yet: the command that makes one, as the user can type it here.

    Inside the toolkit's own commands (PINPal's, say) as they were invoked;
    in another program's process (``keyring set``, twine) ``secrets ring
    init``, which every installation has.
    """
    from secrets_common.cli.invocation import by_the_toolkit
    from tokenring.ring import missing_vault

    return missing_vault(path, None if by_the_toolkit() else INIT_COMMAND)


def _short(kind: type[errors.KeyringError], error: SecretsError) -> errors.KeyringError:
    """keyring's error for ``error``: its one sentence, and nothing of python-fido2.

    Raised ``from None`` by the callers, so that a refused touch prints one
    short traceback in twine or hatch instead of the CTAP stack under it. The
    toolkit's own error stays reachable as ``secrets_error`` (PINPal rebuilds
    its exit status from it) without being printed.
    """
    short = kind(f"TokenRing: {error}")
    short.secrets_error = error  # type: ignore[attr-defined]
    return short


class TouchOnReadCredential(credentials.Credential):
    """A stored credential whose password is read (one touch) on first access."""

    def __init__(self, ring: TokenRing, service: str, username: str) -> None:
        self._ring = ring
        self._service = service
        self._username = username
        self._password: str | None = None

    @property
    def username(self) -> str:
        return self._username

    @property
    def password(self) -> str:
        if self._password is None:
            try:
                found = self._ring.get(self._service, self._username)
            except SecretsError as error:
                raise _short(errors.KeyringError, error) from None
            if found is None:
                raise errors.KeyringError(
                    f"TokenRing: the entry for {self._username} in {self._service} was removed"
                )
            self._password = found
        return self._password
