"""The :class:`Vault`: named secret entries in one file, opened through key slots.

Touch costs with an authenticator slot (see docs/vault-format.md):

========================  =======
operation                 touches
========================  =======
``unlock``                1
``read`` (locked)         1 (unlocks too)
``read`` (unlocked)       1, every time
``write``/``delete``      0 (needs ``unlock``)
``names``                 0 (needs ``unlock``)
``enroll``                1 on an enrolled key + the new key's enrolment
``rotate``                1 on an enrolled key + 1 per authenticator slot
========================  =======

A Vault object is not thread-safe; processes are serialised by a lock file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from secrets_common.vault.opener import NewRecoverySlot, NewSlot, Opener, ScryptParams

Random = Callable[[int], bytes]
Clock = Callable[[], float]


@attrs.frozen
class SlotInfo:
    """A key slot as listed to the user (public data only)."""

    name: str
    kind: str
    """``"authenticator"``, ``"keyring"`` or ``"recovery"``."""
    detail: str
    """Human description: rp id and credential id prefix, keyring user, scrypt cost."""


class Vault:
    """One vault file. Construct with :meth:`create` or :meth:`open`.

    While unlocked, the object holds the index key and public values only: the
    private key that unseals entry keys is re-derived for every read, and no
    hmac-secret output outlives the call that asked for it.
    """

    @classmethod
    def create(
        cls,
        path: Path,
        first_slot: NewSlot,
        *,
        recovery: NewRecoverySlot | None = None,
        reason: str = "create a vault",
        random: Random = os.urandom,
        clock: Clock = time.time,
        lock_timeout: float = 10.0,
    ) -> tuple[Vault, str | None]:
        """Create a new, empty vault at ``path`` and return it unlocked.

        ``first_slot`` costs one touch for an authenticator (with
        hmac-secret-mc). With ``recovery``, a recovery slot is added too and
        its code returned (show it once; it is stored nowhere). Refuses to
        overwrite an existing file. The parent directory is created 0700.
        """
        raise NotImplementedError

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        random: Random = os.urandom,
        clock: Clock = time.time,
        lock_timeout: float = 10.0,
    ) -> Vault:
        """Open the vault file at ``path``, locked (no touch).

        Checks the file's mode and its clear header; the slots can be listed.
        Raises NotFoundError if the file does not exist and VaultError if it
        is unsafe or not a vault.
        """
        raise NotImplementedError

    @property
    def path(self) -> Path:
        """The vault file."""
        raise NotImplementedError

    @property
    def vault_id(self) -> str:
        """A random identifier given at creation (hex), stable across rotations."""
        raise NotImplementedError

    @property
    def is_unlocked(self) -> bool:
        """Whether the index key is held (names, write and delete work)."""
        raise NotImplementedError

    def unlock(self, opener: Opener, *, reason: str) -> Vault:
        """Open one slot to obtain the index key (1 touch for an authenticator).

        Returns ``self``. Raises NotEnrolledError (naming the enrolled slots)
        when the connected key is not enrolled, SlotOpenError when nothing in
        ``opener`` fits any slot, VaultError when the file is corrupt.
        """
        raise NotImplementedError

    def lock(self) -> None:
        """Forget the index key."""
        raise NotImplementedError

    def names(self) -> list[str]:
        """Every entry name, sorted (needs unlock; 0 touches)."""
        raise NotImplementedError

    def __contains__(self, name: object) -> bool:
        """Whether an entry ``name`` exists (needs unlock; 0 touches)."""
        raise NotImplementedError

    def read(self, name: str, opener: Opener, *, reason: str) -> bytes:
        """The value of entry ``name``: one fresh touch, every time.

        On a locked vault the same single touch unlocks it as well. Raises
        NotFoundError if there is no such entry (after the touch when locked).
        """
        raise NotImplementedError

    def write(self, name: str, value: bytes) -> None:
        """Create or replace entry ``name`` (needs unlock; 0 touches)."""
        raise NotImplementedError

    def delete(self, name: str) -> None:
        """Remove entry ``name``; NotFoundError if missing (needs unlock)."""
        raise NotImplementedError

    def slots(self) -> list[SlotInfo]:
        """The key slots, in the order they were added (locked or not)."""
        raise NotImplementedError

    @property
    def warnings(self) -> list[str]:
        """One-line warnings the CLIs print (e.g. a single key and no recovery code)."""
        raise NotImplementedError

    def enroll(self, new_slot: NewSlot, opener: Opener, *, reason: str) -> str | None:
        """Add a key slot; returns the recovery code if ``new_slot`` is one.

        Costs one touch on an enrolled key (``opener``) to release the keys,
        plus the new key's enrolment. Slot names must be unique.
        """
        raise NotImplementedError

    def remove_slot(self, name: str) -> None:
        """Remove the slot called ``name`` (needs unlock); never the last one.

        Removing a keyring slot also deletes its secret from the keyring when
        the backend it was created with is at hand; otherwise it stays there.
        """
        raise NotImplementedError

    def rotate(
        self,
        opener: Opener,
        *,
        reason: str,
        recovery_scrypt: ScryptParams | None = None,
    ) -> str | None:
        """Re-key: new salts, index key and read key pair; entries unchanged.

        One touch on an enrolled key releases the old keys, then every
        authenticator slot derives the new salts (one touch each; all
        credentials are offered at once). Keyring and recovery slots get fresh
        secrets; the new recovery code (if the vault has a recovery slot) is
        returned. The vault stays unlocked under the new keys.
        """
        raise NotImplementedError
