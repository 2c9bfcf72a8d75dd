"""A keyring whose collection stays locked (a Secret Service whose unlock prompt was dismissed).

keyring's SecretService backend raises :class:`keyring.errors.KeyringLocked`
then; this backend does the same without a D-Bus session. Loaded by name
through PYTHON_KEYRING_BACKEND in a `pinpal` subprocess.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked


class LockedKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")
