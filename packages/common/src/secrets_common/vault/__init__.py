"""The shared vault: named secrets in one file, each its own Fernet token.

Public surface::

    vault, code = Vault.create(path, NewAuthenticatorSlot("blue key", source),
                               recovery=NewRecoverySlot())
    vault = Vault.open(path).unlock(Opener(key_source=source), reason="list")
    vault.write("name", b"value", Opener(key_source=source))   # 1 touch
    vault.read("name", Opener(key_source=source), reason="read 'name'")  # 1 touch

The file format (version 2: one touch releases at most two entries) is
documented in docs/vault-format.md.
"""

from __future__ import annotations

from secrets_common.vault.errors import (
    KeyringUnavailableError,
    NotEnrolledError,
    NotUnlockedError,
    SlotOpenError,
    VaultRekeyedError,
)
from secrets_common.vault.opener import (
    DEFAULT_RP_ID,
    KEYRING_SERVICE,
    KeyringBackend,
    NewAuthenticatorSlot,
    NewKeyringSlot,
    NewRecoverySlot,
    NewSlot,
    Opener,
    ScryptParams,
    system_keyring,
)
from secrets_common.vault.rollback import GenerationLog, RollbackError
from secrets_common.vault.vault import SlotInfo, Vault

__all__ = [
    "DEFAULT_RP_ID",
    "KEYRING_SERVICE",
    "GenerationLog",
    "KeyringBackend",
    "KeyringUnavailableError",
    "NewAuthenticatorSlot",
    "NewKeyringSlot",
    "NewRecoverySlot",
    "NewSlot",
    "NotEnrolledError",
    "NotUnlockedError",
    "Opener",
    "RollbackError",
    "ScryptParams",
    "SlotInfo",
    "SlotOpenError",
    "Vault",
    "VaultRekeyedError",
    "system_keyring",
]
