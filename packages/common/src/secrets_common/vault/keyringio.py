"""A keyring slot's secret in the keyring: read, stored, forgotten.

The same for both vault formats. keyring's errors become the vault's: no
backend, or one that refused. A backend that is itself the toolkit
(TokenRing) keeps its own reason and exit status, a refused touch say, which
it hangs on keyring's error as ``secrets_error`` (older releases: as the cause).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from secrets_common.errors import SecretsError
from secrets_common.vault import crypto
from secrets_common.vault.errors import KeyringUnavailableError
from secrets_common.vault.opener import NO_KEYRING

if TYPE_CHECKING:
    from secrets_common.vault.opener import KeyringBackend


class KeyringItem(Protocol):
    """Where a keyring slot keeps its secret."""

    @property
    def service(self) -> str: ...

    @property
    def username(self) -> str: ...


def _toolkit_reason(error: BaseException) -> SecretsError | None:
    found = getattr(error, "secrets_error", None)
    if isinstance(found, SecretsError):
        return found
    return error.__cause__ if isinstance(error.__cause__, SecretsError) else None


@contextlib.contextmanager
def _translated(refusal: str) -> Iterator[None]:
    import keyring.errors

    try:
        yield
    except keyring.errors.NoKeyringError:
        raise KeyringUnavailableError(NO_KEYRING) from None
    except keyring.errors.KeyringError as error:
        reason = _toolkit_reason(error)
        if reason is not None:
            raise reason from None
        raise KeyringUnavailableError(f"{refusal}: {error}") from None


def read_keyring_secret(backend: KeyringBackend, item: KeyringItem) -> bytes | None:
    """The slot's secret; None if the keyring holds none (or not one of ours)."""
    with _translated("the keyring refused to answer"):
        stored = backend.get_password(item.service, item.username)
    if stored is None:
        return None
    try:
        secret = base64.b64decode(stored.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return None
    return secret if len(secret) == crypto.KEY_SIZE else None


def store_keyring_secret(
    backend: KeyringBackend, service: str, username: str, secret: bytes
) -> None:
    with _translated("the OS keyring refused to store a secret"):
        backend.set_password(service, username, base64.b64encode(secret).decode("ascii"))


def forget_keyring_secret(backend: KeyringBackend, item: KeyringItem) -> None:
    """Best effort: a stale keyring secret opens nothing once its slot is gone."""
    import keyring.errors

    with contextlib.suppress(keyring.errors.KeyringError):
        backend.delete_password(item.service, item.username)
