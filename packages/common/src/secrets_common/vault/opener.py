"""What a caller hands the vault to open key slots, and to create new ones.

An :class:`Opener` bundles every way the caller can prove itself: connected
security keys (a :class:`~secrets_common.keysource.KeySource`), an OS keyring
backend, a recovery code. The vault tries them cheapest first: recovery code
(explicitly given), keyring (no touch), then security keys (one touch).
"""

from __future__ import annotations

import os
from typing import Protocol

import attrs

from secrets_common.errors import UsageError
from secrets_common.keysource import KeySource
from secrets_common.vault.errors import KeyringUnavailableError

KEYRING_SERVICE = "secrets-toolkit"
"""The keyring service under which keyring slots keep their secrets."""

DEFAULT_RP_ID = "secrets-toolkit"
"""The relying-party id of credentials the vault creates on security keys."""

NO_KEYRING = (
    "no usable OS keyring: install and start a Secret Service provider "
    "(gnome-keyring or KWallet), or choose a backend with PYTHON_KEYRING_BACKEND "
    "(see `python -m keyring --list-backends`)"
)
"""Why a keyring slot cannot be used here, and what to install or configure."""


class KeyringBackend(Protocol):
    """The part of :class:`keyring.backend.KeyringBackend` the vault uses."""

    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


@attrs.frozen
class ScryptParams:
    """Cost of turning a recovery code into its slot secret (recorded in the slot).

    The default costs about 128 MiB and half a second; tests pass cheaper
    parameters explicitly.
    """

    n: int = 2**17
    r: int = 8
    p: int = 1

    def __attrs_post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError(f"scrypt n must be a power of two >= 2, got {self.n}")
        if self.r < 1 or self.p < 1:
            raise ValueError(f"scrypt r and p must be >= 1, got r={self.r} p={self.p}")
        # A damaged header must not make opening a vault allocate gigabytes.
        if self.n > 2**20 or self.r > 16 or self.p > 16:
            raise ValueError(
                f"scrypt parameters too costly: n={self.n} r={self.r} p={self.p} "
                "(at most n=2^20, r=16, p=16)"
            )


@attrs.frozen
class Opener:
    """Everything the caller offers to open a vault's slots.

    Any field may be left out; at least one must match a slot of the vault.
    """

    key_source: KeySource | None = None
    """Connected security keys, for authenticator slots."""
    keyring: KeyringBackend | None = None
    """An OS keyring backend, for keyring slots (see :func:`system_keyring`)."""
    recovery_code: str | None = attrs.field(default=None, repr=False)
    """A recovery code as the user typed it, for recovery slots."""


@attrs.frozen
class NewAuthenticatorSlot:
    """Enrol a security key: creates an hmac-secret credential on it.

    An everyday key (the default) opens one entry per salt, at most two per
    touch. ``backup=True`` enrols a key that opens the whole vault in one
    touch: keep it unplugged, in a drawer.
    """

    name: str
    key_source: KeySource
    rp_id: str = DEFAULT_RP_ID
    user_name: str = "vault"
    backup: bool = False


@attrs.frozen
class NewKeyringSlot:
    """Keep a random slot secret in the OS keyring (service ``secrets-toolkit``)."""

    backend: KeyringBackend
    name: str = "keyring"
    service: str = KEYRING_SERVICE


@attrs.frozen
class NewRecoverySlot:
    """A recovery code, shown once to the caller of ``create``/``enroll``/``rotate``."""

    name: str = "recovery"
    scrypt: ScryptParams = ScryptParams()


NewSlot = NewAuthenticatorSlot | NewKeyringSlot | NewRecoverySlot


def system_keyring() -> KeyringBackend:
    """The keyring backend the ``keyring`` library chooses, or one clear error.

    That is the OS keychain on a desktop, and TokenRing where it is installed
    (it outranks the OS backends): a keyring slot then lives behind a touch of
    the security key, which is the protection such a user chose. TokenRing's
    own vault never has a keyring slot, so nothing goes round in a circle.

    Raises :class:`KeyringUnavailableError` on a machine with no usable backend
    instead of failing later inside a read.
    """
    import keyring
    import keyring.backends.fail
    import keyring.errors

    try:
        backend = keyring.get_keyring()
    except keyring.errors.KeyringError as error:
        raise KeyringUnavailableError(f"the keyring could not be loaded: {error}") from None
    except (ImportError, AttributeError, TypeError, ValueError) as error:
        # keyring imports PYTHON_KEYRING_BACKEND (or keyringrc's choice) by name.
        named = os.environ.get("PYTHON_KEYRING_BACKEND")
        where = f"PYTHON_KEYRING_BACKEND={named!r}" if named else "the configured keyring backend"
        raise UsageError(
            f"{where} cannot be loaded ({type(error).__name__}: {error}); "
            "see `python -m keyring --list-backends`"
        ) from None
    if isinstance(backend, keyring.backends.fail.Keyring):
        raise KeyringUnavailableError(NO_KEYRING)
    return backend
