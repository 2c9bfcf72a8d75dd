"""The errors every layer of the toolkit translates its failures into.

Each carries a one-line message meant for the person at the keyboard and the
exit status the CLI reports. Lower layers (python-fido2, cryptography, the
file system) never leak their own exceptions past the module that called them.
"""

from __future__ import annotations

__all__ = [
    "AgentError",
    "AuthenticatorError",
    "NoDeviceError",
    "NotFoundError",
    "PinError",
    "PresenceError",
    "SecretsError",
    "UnsupportedDeviceError",
    "UsageError",
    "VaultError",
    "VaultLockedError",
    "WrongKeyError",
]


class SecretsError(Exception):
    """An expected failure: the CLI prints ``error: <message>`` and exits."""

    exit_code: int = 1


class UsageError(SecretsError):
    """The command was given something it cannot work with."""

    exit_code = 2


class NotFoundError(SecretsError):
    """The thing asked for does not exist (an entry, a label, a vault)."""

    exit_code = 1


class AuthenticatorError(SecretsError):
    """A security key could not do what was asked."""

    exit_code = 3


class NoDeviceError(AuthenticatorError):
    """No security key is connected (or none is configured)."""


class UnsupportedDeviceError(AuthenticatorError):
    """The security key lacks a feature the toolkit needs (hmac-secret)."""


class WrongKeyError(AuthenticatorError):
    """The connected key does not hold the credential that was asked for."""


class PresenceError(AuthenticatorError):
    """Nobody touched the key: the request was refused or timed out."""


class PinError(AuthenticatorError):
    """The PIN was wrong, missing or is blocked."""


class VaultError(SecretsError):
    """A vault file is unusable: corrupt, foreign, unsafe or busy."""

    exit_code = 4


class VaultLockedError(VaultError):
    """Another process holds the vault's write lock."""

    exit_code = 5


class AgentError(SecretsError):
    """The session agent is missing, went away or answered nonsense."""

    exit_code = 6
