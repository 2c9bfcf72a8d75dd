"""The vault's own refinements of the toolkit's error classes.

Each is a subclass of a class in :mod:`secrets_common.errors`, so callers that
catch the general family (and the CLI wrapper) keep working.
"""

from __future__ import annotations

from secrets_common.errors import VaultError, WrongKeyError


class NotEnrolledError(WrongKeyError):
    """The connected security key holds none of the vault's credentials."""


class SlotOpenError(VaultError):
    """No key slot could be opened with what the opener offered."""


class VaultRekeyedError(VaultError):
    """Another process rotated the vault's keys while this one had it unlocked."""


class NotUnlockedError(VaultError):
    """The operation needs an unlocked vault (call ``unlock`` first)."""


class KeyringUnavailableError(VaultError):
    """The OS keyring is missing or refused to store or return a secret."""
