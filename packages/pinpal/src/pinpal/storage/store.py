"""Where label entries are kept: a small boundary the engine never sees.

:class:`RecordStore` is what the service needs; :class:`MemoryStore` is the
in-process fake used by tests, checked against the protocol below. The real
store over the shared vault is :mod:`pinpal.storage.vaultstore`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from secrets_common.errors import NotFoundError


class RecordStore(Protocol):
    def labels(self) -> list[str]: ...

    def read(self, label: str) -> bytes: ...

    def write(self, label: str, data: bytes) -> None: ...

    def write_many(self, items: Mapping[str, bytes]) -> None:
        """Write several entries at once: all of them or none."""
        ...

    def delete(self, label: str) -> None: ...

    def generation(self) -> object:
        """A cheap value that changes whenever any entry changes (no key needed)."""
        ...

    def rekey(self) -> None:
        """Make every earlier copy of the store unreadable (after plaintext left it)."""
        ...

    def owe_rekey(self) -> None:
        """Record, where a process that dies first leaves it, that a re-key is owed."""
        ...

    def rekey_owed(self) -> bool:
        """Whether the store, as this instance opened it, said a re-key is owed."""
        ...

    def discard(self) -> bool:
        """Remove the store for good if this instance made it and it is empty again.

        Returns whether it did; a store that existed before, or holds
        anything, stays as it is.
        """
        ...


class MemoryStore:
    """Entries in a dict (tests, and dry runs)."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}
        self.changes = 0
        self.rekeys = 0
        self.owed = False
        self.discarded = False

    def labels(self) -> list[str]:
        return sorted(self.entries)

    def read(self, label: str) -> bytes:
        try:
            return self.entries[label]
        except KeyError:
            raise NotFoundError(f"no secret is called {label!r}") from None

    def write(self, label: str, data: bytes) -> None:
        self.entries[label] = bytes(data)
        self.changes += 1

    def write_many(self, items: Mapping[str, bytes]) -> None:
        self.entries.update({label: bytes(data) for label, data in items.items()})
        self.changes += 1

    def delete(self, label: str) -> None:
        if self.entries.pop(label, None) is None:
            raise NotFoundError(f"no secret is called {label!r}")
        self.changes += 1

    def generation(self) -> object:
        return self.changes

    def rekey(self) -> None:
        # Nothing earlier is kept in memory; counted for the service's tests.
        self.rekeys += 1
        self.changes += 1
        self.owed = False

    def owe_rekey(self) -> None:
        self.owed = True

    def rekey_owed(self) -> bool:
        return self.owed

    def discard(self) -> bool:
        # Made by this instance by definition: gone once empty.
        if self.entries:
            return False
        self.discarded = True
        return True


_check: type[RecordStore] = MemoryStore
