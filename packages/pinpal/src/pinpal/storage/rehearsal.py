"""A store that reads the real records and keeps every change in memory.

``pinpal --now EPOCH`` rehearses: it shows what a drill, a `new` or a
`rotate` would do at that time, and the real schedule stays as it was. Set
``PINPAL_TEST_CLOCK=1`` to make ``--now`` store (end-to-end tests that learn
a secret over simulated days).
"""

from __future__ import annotations

from collections.abc import Mapping

from pinpal.storage.store import RecordStore
from secrets_common.errors import NotFoundError

TEST_CLOCK_VARIABLE = "PINPAL_TEST_CLOCK"


def rehearsing(now: float | None, environ: Mapping[str, str]) -> bool:
    """Whether a command at ``--now`` must store nothing."""
    return now is not None and environ.get(TEST_CLOCK_VARIABLE) != "1"


class RehearsalStore:
    def __init__(self, real: RecordStore) -> None:
        self._real = real
        self._written: dict[str, bytes] = {}
        self._deleted: set[str] = set()
        self._changes = 0

    def labels(self) -> list[str]:
        found = set(self._real.labels()) - self._deleted
        return sorted(found | set(self._written))

    def read(self, label: str) -> bytes:
        if label in self._written:
            return self._written[label]
        if label in self._deleted:
            raise NotFoundError(f"no secret is called {label!r}")
        return self._real.read(label)

    def write(self, label: str, data: bytes) -> None:
        self.write_many({label: data})

    def write_many(self, items: Mapping[str, bytes]) -> None:
        self._written.update({label: bytes(data) for label, data in items.items()})
        self._deleted.difference_update(items)
        self._changes += 1

    def delete(self, label: str) -> None:
        if label not in self.labels():
            raise NotFoundError(f"no secret is called {label!r}")
        self._written.pop(label, None)
        self._deleted.add(label)
        self._changes += 1

    def generation(self) -> object:
        return (self._real.generation(), self._changes)

    def rekey(self) -> None:
        # A rehearsal stores nothing, so the real vault keeps its key.
        self._changes += 1

    def owe_rekey(self) -> None:
        """Nothing: a rehearsal lets no plaintext leave the real vault."""

    def rekey_owed(self) -> bool:
        # The real vault's debt is for a real command to settle.
        return False

    def discard(self) -> bool:
        # A rehearsal never makes the real store.
        return False


_check: type[RecordStore] = RehearsalStore
