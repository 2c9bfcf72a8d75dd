"""The learning engine: pure functions from a memorization record to the next.

A secret is a row of tokens (words, digits). Every prompt shows every
position: the token while it is still *shown*, ``°`` once it is *hidden* (the
learner must recall it, PINPal still stores it and can reveal it after a
miss) and ``•`` once it is *forgotten* (its plaintext is gone; only the scrypt
hash of the whole secret can tell whether it was typed right).

Tokens are introduced a chunk at a time: the next chunk is hidden once every
token already in training is stable enough (``Policy.introduce_at``), and a
hidden token is forgotten once it is stable enough (``Policy.forget_at``).
When all are forgotten the secret is learned and the record holds no token.

A secret the user brought is *exact*: it is graded on exactly the text typed
(Unicode NFC only: every space, separator and letter case counts), and the
record keeps the spaces and dashes around its parts (``gaps``) until it is
learned. A generated one forgives case and spacing.
Stabilities and the schedule come from :mod:`pinpal.learning.memory`. No clock, no
randomness, no I/O here: time is a parameter.
"""

from __future__ import annotations

import enum
import hmac
import math

import attrs

from pinpal.learning.kdf import Verifier
from pinpal.learning.memory import DAY, DEFAULT_MODEL, MemoryModel
from pinpal.learning.secretgen import (
    Kind,
    NewSecret,
    chunk_size,
    interleave,
    normalized,
    split_answer,
    split_exact,
)

SHOWN_PLACEHOLDER = "°"
FORGOTTEN_PLACEHOLDER = "•"


class Stage(enum.Enum):
    SHOWN = "shown"
    HIDDEN = "hidden"
    FORGOTTEN = "forgotten"


@attrs.frozen
class Policy:
    """When tokens move on, and how a session is limited."""

    model: MemoryModel = DEFAULT_MODEL
    introduce_at: float = 1 * DAY
    # A token is forgotten once a secret of chunks as stable as it would go
    # this long between practices (see _holds).
    forget_at: float = 0.6 * DAY
    # A practice this much later than planned (and at least min_gap late)
    # restarts the streak: hidden tokens must earn their stability again.
    gap_factor: float = 4.0
    min_gap: float = 1 * DAY
    max_attempts: int = 3
    # How many practice times a record keeps (for `list --json`).
    history_length: int = 10


DEFAULT_POLICY = Policy()


@attrs.frozen(repr=False)
class Position:
    stage: Stage
    token: str | None
    stability: float = 0.0

    def __repr__(self) -> str:
        return f"Position({self.stage.value}, stability={self.stability:.0f})"

    @property
    def in_training(self) -> bool:
        return self.stage is not Stage.SHOWN


@attrs.frozen(repr=False)
class Memorization:
    kind: Kind
    separator: str
    chunk: int
    positions: tuple[Position, ...]
    verifier: Verifier
    bits: float | None
    created: float
    last_review: float | None = None
    streak: int = 0
    practices: int = 0
    successes: int = 0
    lapses: int = 0
    learned_at: float | None = None
    # The next practice, as fixed by the last answer; None in records written
    # before it was stored (their due time is computed from the last review).
    due: float | None = None
    # When the last practices happened, oldest first.
    history: tuple[float, ...] = ()
    # Graded on the exact text (a secret the user brought, since format 2).
    exact: bool = False
    # An exact record's text around and between its positions, until learned.
    gaps: tuple[str, ...] = ()

    def __repr__(self) -> str:
        _, forgotten, total = self.progress
        return f"Memorization({self.kind.value}, {forgotten}/{total} forgotten)"

    @property
    def learned(self) -> bool:
        return all(p.stage is Stage.FORGOTTEN for p in self.positions)

    @property
    def progress(self) -> tuple[int, int, int]:
        """(hidden, forgotten, total) positions."""
        hidden = sum(p.stage is Stage.HIDDEN for p in self.positions)
        forgotten = sum(p.stage is Stage.FORGOTTEN for p in self.positions)
        return hidden, forgotten, len(self.positions)

    @property
    def success_rate(self) -> float | None:
        return None if self.practices == 0 else self.successes / self.practices

    def interval(self, policy: Policy = DEFAULT_POLICY) -> float:
        # A chunk (four digits, one word) is introduced and recalled as one
        # memory: its tokens share the chunk's share of the forgetting rate.
        return policy.model.interval(
            p.stability * self.chunk for p in self.positions if p.in_training
        )

    def due_at(self, policy: Policy = DEFAULT_POLICY) -> float:
        if self.due is not None:
            return self.due
        if self.last_review is None:
            return self.created
        return self.last_review + self.interval(policy)

    def hint(self) -> str:
        """The prompt line: shown tokens, ``°`` for hidden, ``•`` for forgotten."""
        return self._line(reveal=False)

    def reveal(self) -> str:
        """What PINPal can still show after a miss: every stored token."""
        return self._line(reveal=True)

    def _line(self, reveal: bool) -> str:
        shown = tuple(_placeholder(p, reveal) for p in self.positions)
        if len(self.gaps) != len(shown) + 1:
            return self.separator.join(shown)
        line = interleave(self.gaps, shown)
        # Spaces at either end would be invisible on a terminal.
        return f'"{line}"' if line != line.strip() else line


def _placeholder(position: Position, reveal: bool) -> str:
    if position.token is None:
        return FORGOTTEN_PLACEHOLDER
    if position.stage is Stage.SHOWN or reveal:
        return position.token
    return SHOWN_PLACEHOLDER


def start(secret: NewSecret, verifier: Verifier, now: float) -> Memorization:
    """A new record: every token shown, first practice due at once."""
    return Memorization(
        kind=secret.kind,
        separator=secret.separator,
        chunk=chunk_size(secret.kind, secret.separator),
        positions=tuple(Position(Stage.SHOWN, token) for token in secret.tokens),
        verifier=verifier,
        bits=secret.bits,
        created=now,
        exact=secret.gaps is not None,
        gaps=secret.gaps or (),
    )


@attrs.frozen
class Review:
    """What one answer did."""

    correct: bool
    record: Memorization
    wrong_positions: tuple[int, ...] = ()
    wrong_length: bool = False
    # Every part right, but not the spaces or dashes around them (exact records).
    wrong_gaps: bool = False
    error_among_forgotten: bool = False
    newly_hidden: tuple[int, ...] = ()
    newly_forgotten: tuple[int, ...] = ()
    streak_reset: bool = False
    just_learned: bool = False


def tokens_of(record: Memorization, answer: str) -> tuple[str, ...]:
    """The tokens of a typed answer, to tell which positions are wrong."""
    if record.exact:
        return split_exact(normalized(answer), record.separator)[0]
    return split_answer(answer, record.separator, lowercase=record.kind is Kind.WORDS)


def answer_bytes(record: Memorization, answer: str) -> bytes:
    """The bytes an answer is hashed as: exactly what was typed, or its canonical form."""
    if record.exact:
        return normalized(answer).encode("utf-8")
    return record.separator.join(tokens_of(record, answer)).encode("utf-8")


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def review(
    record: Memorization, answer: str, now: float, policy: Policy = DEFAULT_POLICY
) -> Review:
    """Grade one answer given at ``now`` and return the updated record."""
    model = policy.model
    scheduled = record.due_at(policy)
    # Practice on demand, before the secret is due: it may not bring the
    # next practice sooner nor start another chunk.
    early = now < scheduled
    history = (*record.history, now)[-policy.history_length :]
    typed = tokens_of(record, answer)
    correct = record.verifier.verify(answer_bytes(record, answer))
    elapsed = 0.0 if record.last_review is None else max(0.0, now - record.last_review)

    positions = list(record.positions)
    streak = record.streak
    streak_reset = False
    if record.last_review is not None and elapsed > max(
        policy.min_gap, policy.gap_factor * (scheduled - record.last_review)
    ):
        streak, streak_reset = 0, True
        positions = [
            attrs.evolve(p, stability=min(p.stability, model.initial))
            if p.stage is Stage.HIDDEN
            else p
            for p in positions
        ]

    if correct:
        # The spacing effect is measured on the whole recall, which is what
        # the learner did: each token grows by how hard the whole secret was.
        recalled_at = model.recall_probability(
            (p.stability * record.chunk for p in positions if p.in_training), elapsed
        )
        positions = [
            attrs.evolve(p, stability=model.after_success(p.stability, recalled_at))
            if p.in_training
            else p
            for p in positions
        ]
        newly_forgotten = tuple(
            i
            for i, p in enumerate(positions)
            if p.stage is Stage.HIDDEN and _holds(p, record, policy)
        )
        for i in newly_forgotten:
            positions[i] = Position(Stage.FORGOTTEN, None, positions[i].stability)
        newly_hidden = () if early else _introduce(positions, record.chunk, policy)
        updated = attrs.evolve(
            record,
            positions=tuple(positions),
            streak=streak + 1,
            successes=record.successes + 1,
            practices=record.practices + 1,
            last_review=now,
            history=history,
            due=None,
        )
        due = now + updated.interval(policy)
        updated = attrs.evolve(updated, due=max(due, scheduled) if early else due)
        just_learned = updated.learned and record.learned_at is None
        if just_learned:
            updated = attrs.evolve(updated, learned_at=now)
        if updated.learned:
            # The last plaintext of an exact secret goes with its last token.
            updated = attrs.evolve(updated, gaps=())
        return Review(
            True,
            updated,
            newly_hidden=newly_hidden,
            newly_forgotten=newly_forgotten,
            streak_reset=streak_reset,
            just_learned=just_learned,
        )

    wrong_length = len(typed) != len(positions)
    if wrong_length:
        wrong = tuple(i for i, p in enumerate(positions) if p.in_training)
        to_lapse = set(wrong)
    else:
        wrong = tuple(
            i
            for i, p in enumerate(positions)
            if p.token is not None and not _same(typed[i], p.token)
        )
        to_lapse = {i for i in wrong if positions[i].in_training}
    wrong_gaps = False
    if record.exact and not wrong_length and not wrong and record.gaps:
        typed_gaps = split_exact(normalized(answer), record.separator)[1]
        wrong_gaps = not _same("\0".join(typed_gaps), "\0".join(record.gaps))
    # All stored tokens right, yet the hash disagrees: a forgotten one is wrong,
    # and PINPal cannot know which.
    among_forgotten = not wrong_length and not wrong and not wrong_gaps
    if among_forgotten:
        to_lapse = {i for i, p in enumerate(positions) if p.stage is Stage.FORGOTTEN}
    positions = [
        attrs.evolve(p, stability=model.after_failure(p.stability)) if i in to_lapse else p
        for i, p in enumerate(positions)
    ]
    updated = attrs.evolve(
        record,
        positions=tuple(positions),
        streak=0,
        lapses=record.lapses + 1,
        practices=record.practices + 1,
        last_review=now,
        history=history,
        # A miss makes the secret due at once.
        due=now,
    )
    return Review(
        False,
        updated,
        wrong_positions=tuple(i for i in wrong if positions[i].token is not None),
        wrong_length=wrong_length,
        wrong_gaps=wrong_gaps,
        error_among_forgotten=among_forgotten,
        streak_reset=streak_reset,
    )


def _holds(position: Position, record: Memorization, policy: Policy) -> bool:
    """Whether a token is stable enough to forget: a secret whose every chunk were
    as stable would go ``forget_at`` between practices. A short PIN gets there
    sooner than a long passphrase, whose recall is only as good as its weakest word."""
    chunks = math.ceil(len(record.positions) / record.chunk)
    interval = policy.model.interval([position.stability * record.chunk] * chunks)
    return interval >= policy.forget_at


def _introduce(positions: list[Position], chunk: int, policy: Policy) -> tuple[int, ...]:
    """Hide the next chunk if every token in training is stable enough."""
    shown = [i for i, p in enumerate(positions) if p.stage is Stage.SHOWN]
    if not shown:
        return ()
    if any(p.in_training and p.stability < policy.introduce_at for p in positions):
        return ()
    chosen = tuple(shown[:chunk])
    for i in chosen:
        positions[i] = Position(Stage.HIDDEN, positions[i].token, policy.model.initial)
    return chosen


def with_verifier(record: Memorization, verifier: Verifier) -> Memorization:
    """The same record checked by a new hash (after a re-hash with new parameters)."""
    return attrs.evolve(record, verifier=verifier)
