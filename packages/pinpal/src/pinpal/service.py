"""PINPal's operations over a store, a clock, randomness and a hash cost.

Everything that decides is in :mod:`pinpal.learning.engine`; this module loads and
saves label entries, keeps the due-time file current, and handles rotation.
Whenever a change lets plaintext leave the store (a token forgotten, a
secret learned, dropped or retired, an old hash replaced) the store is
re-keyed, so that no earlier copy of it still shows what left: at once, or
once at the end of a :meth:`Pinpal.batch`.
No prompts or printing here (see :mod:`pinpal.cli.drill` and :mod:`pinpal.cli.app`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import attrs

from pinpal.learning import engine
from pinpal.learning.engine import DEFAULT_POLICY, Memorization, Policy, Review
from pinpal.learning.entropy import SYSTEM_ENTROPY, Entropy
from pinpal.learning.kdf import SALT_LENGTH, ScryptParams, Verifier, costlier
from pinpal.learning.secretgen import NewSecret
from pinpal.storage.codec import CURRENT, LabelEntry, decode_entry, encode_entry
from pinpal.storage.duefile import write_due, write_due_labels
from pinpal.storage.locking import exclusive, try_exclusive
from pinpal.storage.store import RecordStore
from secrets_common.errors import NotFoundError, UsageError

LABEL_PATTERN = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")

__all__ = ["LABEL_PATTERN", "Due", "Pinpal", "check_label"]


@attrs.frozen
class Due:
    label: str
    role: str
    record: Memorization


class Pinpal:
    """PINPal's operations for one user of the store.

    Re-keying the store costs touches under TokenRing (two per re-key), so a
    caller that makes several changes in a row batches them::

        with pinpal.batch():
            ...  # answers, drops, withdrawals

    Inside a batch a change that lets plaintext leave only records that a
    re-key is owed; the batch re-keys once as it ends, whether it ends
    normally or by an exception (Ctrl-C included), so a failure later in the
    command never leaves what left readable in earlier copies. Outside a
    batch every such change re-keys at once: the default is the safe one,
    and forgetting to batch costs touches, never secrecy. Batches nest; only
    the outermost re-keys.
    """

    def __init__(
        self,
        store: RecordStore,
        state_dir: Path,
        clock: Callable[[], float],
        kdf_params: Callable[[], ScryptParams],
        entropy: Entropy = SYSTEM_ENTROPY,
        policy: Policy = DEFAULT_POLICY,
        rehearsal: bool = False,
        listing: Callable[[object, list[LabelEntry], Policy], None] | None = None,
    ) -> None:
        self.store = store
        self.state_dir = state_dir
        self.clock = clock
        self.kdf_params = kdf_params
        self.entropy = entropy
        self.policy = policy
        # A rehearsal (`--now` without PINPAL_TEST_CLOCK) writes into a
        # throwaway store: it keeps no due times and takes no lock either.
        self.rehearsal = rehearsal
        # Told the entries, the store's generation they are of, and the policy whenever
        # the due times are refreshed: the CLI keeps its listing file that way.
        self.listing = listing
        # One service lives for one command. Each vault read may cost a touch
        # (TokenRing as the keyring backend), so every label is read once.
        self._cache: dict[str, LabelEntry] = {}
        # The store's generation when the cache was last known to be current.
        self._seen: object = None
        self._batches = 0
        self._rekey_owed = False
        # Whether `withdraw` removed the store this service had made.
        self.discarded = False

    # -- batching re-keys ---------------------------------------------------

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Re-key at most once, as the batch ends (see the class docstring)."""
        self._batches += 1
        try:
            yield
        finally:
            self._batches -= 1
            if not self._batches:
                self.settle()

    def settle(self) -> None:
        """Carry out a re-key that a batch owes, or that a killed command left owed.

        Nothing when none is owed. Another command's debt, found as the vault
        was opened, is paid only if no PINPal command holds the state lock:
        that one opened the vault too, and will.
        """
        lock: AbstractContextManager[bool | None]
        if self._rekey_owed:
            lock = self._locked()
        elif self.store.rekey_owed() and not self.rehearsal:
            lock = try_exclusive(self.state_dir)
        else:
            return
        with lock as held:
            if held is False or not (self._rekey_owed or self.store.rekey_owed()):
                return
            self.store.rekey()
            self._rekey_owed = False
            self._seen = self.store.generation()
            self._tell_listing()

    def _shred(self) -> None:
        # Plaintext left the store: earlier copies of it must not open.
        if self._batches:
            if not self._rekey_owed:
                self.store.owe_rekey()  # paid by the next command, should this one die
            self._rekey_owed = True
        else:
            self.store.rekey()

    # -- reading ---------------------------------------------------------

    def entry(self, label: str) -> LabelEntry:
        if not self._cache:
            self._seen = self.store.generation()
        if label not in self._cache:
            self._cache[label] = decode_entry(self.store.read(label), label)
        return self._cache[label]

    def _revalidate(self) -> None:
        """Under the lock: forget what another process has changed since."""
        current = self.store.generation()
        if current != self._seen:
            self._cache.clear()
            self._seen = current

    def entries(self) -> list[LabelEntry]:
        if not self._cache:
            # Before the store is first read: entries of a later generation
            # than this one may follow, never of an earlier one.
            self._seen = self.store.generation()
        return [self.entry(label) for label in self.store.labels()]

    def due(self) -> list[Due]:
        now = self.clock()
        return [
            Due(entry.label, role, record)
            for entry in self.entries()
            for role, record in entry.records()
            if record.due_at(self.policy) <= now
        ]

    # -- changing --------------------------------------------------------

    def _verifier(self, secret: NewSecret) -> Verifier:
        salt = self.entropy.token_bytes(SALT_LENGTH)
        return Verifier.make(secret.text.encode("utf-8"), salt, self.kdf_params())

    def check_new(self, label: str) -> None:
        """Refuse a bad or taken label before the user is asked for anything."""
        check_label(label)
        self._refuse_existing(label)

    def new(self, label: str, secret: NewSecret) -> LabelEntry:
        self.check_new(label)
        verifier = self._verifier(secret)
        with self._locked():
            self._revalidate()
            self._refuse_existing(label)
            entry = LabelEntry(label, engine.start(secret, verifier, self.clock()))
            self._save(entry)
        return entry

    def _locked(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext() if self.rehearsal else exclusive(self.state_dir)

    def withdraw(self, made: LabelEntry, before: LabelEntry | None) -> bool:
        """Undo a `new` (``before`` None) or `rotate` whose secret got no answer at all.

        Returns False, changing nothing, when the stored entry is no longer
        ``made``: an answer was graded (and saved) since, which is kept.
        A store that this service's `new` made and that is empty again is
        removed altogether (:attr:`discarded`), as if it had never been.
        """
        with self._locked():
            self._revalidate()
            if made.label not in self.store.labels():
                # Dropped meanwhile by another command: nothing of it stays.
                return before is None
            if self.entry(made.label) != made:
                return False
            if before is None:
                self._remove(made.label, discard=True)
            else:
                self._save(before)
        return True

    def _refuse_existing(self, label: str) -> None:
        if label in self.store.labels():
            from secrets_common.cli.invocation import command

            raise UsageError(
                f"a secret called {label!r} exists; `{command('pinpal', 'rotate', label)}`"
                f" replaces it, `{command('pinpal', 'drop', label)}` removes it"
            )

    def rotate(self, label: str, secret: NewSecret) -> LabelEntry:
        """A new secret under ``label``; the one in use stays until it is learned.

        Rotating again before then replaces the unlearned new secret and keeps
        the one still in use.
        """
        verifier = self._verifier(secret)
        with self._locked():
            self._revalidate()
            old = self.entry(label)
            retiring = old.retiring if old.retiring is not None else old.current
            entry = LabelEntry(label, engine.start(secret, verifier, self.clock()), retiring)
            self._save(entry, old)
        return entry

    def drop(self, label: str) -> None:
        with self._locked():
            self._revalidate()
            if label not in self.store.labels():
                raise NotFoundError(f"no secret is called {label!r}")
            self._remove(label)

    def _remove(self, label: str, discard: bool = False) -> None:
        self.store.delete(label)
        self._cache.pop(label, None)
        if discard and not self.store.labels() and self.store.discard():
            # Gone whole, key and all: no copy of it opens, nothing to re-key.
            self.discarded = True
            self._rekey_owed = False
        else:
            self._shred()
        self._seen = self.store.generation()
        self.refresh_due()

    def put_many(self, entries: Sequence[LabelEntry]) -> None:
        """Store entries as they are (legacy import), all or none; never over a label."""
        for entry in entries:
            check_label(entry.label)
        if not entries:
            return
        with self._locked():
            self._revalidate()
            for entry in entries:
                self._refuse_existing(entry.label)
            self.store.write_many({e.label: encode_entry(e) for e in entries})
            for entry in entries:
                self._cache[entry.label] = entry
            self._seen = self.store.generation()
            self.refresh_due()

    def answer(self, label: str, role: str, answer: str) -> tuple[Review, bool]:
        """Grade an answer for a label's current or retiring secret.

        Returns the review and whether a retiring secret was retired by it.
        """
        with self._locked():
            self._revalidate()
            entry = before = self.entry(label)
            record = entry.current if role == CURRENT else entry.retiring
            if record is None:
                raise NotFoundError(f"{label!r} has no secret being retired")
            result = engine.review(record, answer, self.clock(), self.policy)
            updated = result.record
            if result.correct:
                updated = self._rehash_if_stale(updated, answer)
            retired = False
            if role == CURRENT:
                retiring = entry.retiring
                if updated.learned and retiring is not None:
                    retiring, retired = None, True
                entry = LabelEntry(label, updated, retiring)
            else:
                entry = LabelEntry(label, entry.current, updated)
            self._save(entry, before)
        return attrs.evolve(result, record=updated), retired

    def _rehash_if_stale(self, record: Memorization, answer: str) -> Memorization:
        # The only moment PINPal holds the whole secret again: bring an old
        # hash (an imported one, a cheaper machine's) up to this machine's
        # cost, if that costs more.
        params = self.kdf_params()
        if not costlier(params, record.verifier.params):
            # Never re-hash at a lower (or the same) cost.
            return record
        salt = self.entropy.token_bytes(SALT_LENGTH)
        verifier = Verifier.make(engine.answer_bytes(record, answer), salt, params)
        return engine.with_verifier(record, verifier)

    def _save(self, entry: LabelEntry, before: LabelEntry | None = None) -> None:
        self.store.write(entry.label, encode_entry(entry))
        self._cache[entry.label] = entry
        if before is not None and _material(before) - _material(entry):
            self._shred()
        self._seen = self.store.generation()
        self.refresh_due()

    def next_due(self, label: str | None = None) -> float | None:
        """The earliest due time of every label's records, or of ``label``'s."""
        entries = self.entries() if label is None else [self.entry(label)]
        times = [record.due_at(self.policy) for entry in entries for _, record in entry.records()]
        return min(times) if times else None

    def due_times(self) -> dict[str, float]:
        """Each label's earliest due time (of its current and retiring secrets)."""
        return {
            entry.label: min(record.due_at(self.policy) for _, record in entry.records())
            for entry in self.entries()
        }

    def refresh_due(self) -> None:
        if self.rehearsal:
            return
        times = self.due_times()
        write_due(self.state_dir, min(times.values()) if times else None)
        write_due_labels(self.state_dir, times)
        self._tell_listing()

    def _tell_listing(self) -> None:
        if self.listing is None or self.rehearsal:
            return
        entries = self.entries()
        seen = self._seen
        # Changed by another process while being read: the listing would
        # claim entries for a vault they are not of, so it is not told.
        if self.store.generation() == seen:
            self.listing(seen, entries, self.policy)


def _material(entry: LabelEntry) -> frozenset[tuple[object, ...]]:
    """What an entry holds that must not outlive it: hashes, tokens and gaps."""
    found: set[tuple[object, ...]] = set()
    for _, record in entry.records():
        digest = record.verifier.digest
        found.add(("hash", digest))
        found.add(("gaps", digest, record.gaps))
        found.update(
            ("token", digest, i, p.token) for i, p in enumerate(record.positions) if p.token
        )
    return frozenset(found)


def check_label(label: str) -> None:
    if not LABEL_PATTERN.match(label) or label != label.strip():
        raise UsageError(
            "a label is 1 to 100 printable characters, without leading or trailing spaces"
        )
