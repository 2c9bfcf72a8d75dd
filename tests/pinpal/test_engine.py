"""The learning engine, driven by an injected clock and seeded randomness."""

from __future__ import annotations

import itertools
import json

from hypothesis import given
from hypothesis import strategies as st

from pinpal.learning import engine
from pinpal.learning.engine import DEFAULT_POLICY, Memorization, Stage
from pinpal.learning.memory import DAY
from pinpal.learning.secretgen import NewSecret, generate_digits, generate_words
from pinpal.storage.codec import LabelEntry, encode_entry
from tests.pinpal.helpers import START, seeded_entropy, tiny_verifier


def new_record(secret: NewSecret, now: float = START) -> Memorization:
    return engine.start(secret, tiny_verifier(secret), now)


def learn(record: Memorization, text: str, limit: int = 200) -> tuple[Memorization, int, float]:
    """Answer correctly at every due time until learned: (record, practices, time)."""
    now = record.created
    for count in range(1, limit + 1):
        now = max(now, record.due_at())
        record = engine.review(record, text, now).record
        if record.learned:
            return record, count, now
    raise AssertionError(f"not learned after {limit} practices")


def test_a_new_record_shows_everything_and_is_due_at_once() -> None:
    secret = generate_words(4, seeded_entropy(1))
    record = new_record(secret)
    assert record.hint() == secret.text
    assert record.due_at() == START
    assert record.progress == (0, 0, 4)


def test_first_right_answer_hides_the_first_chunk_only() -> None:
    secret = generate_words(4, seeded_entropy(2))
    result = engine.review(new_record(secret), secret.text, START)
    assert result.correct
    assert result.newly_hidden == (0,)
    words = secret.tokens
    assert result.record.hint() == " ".join(["°", *words[1:]])
    # The next practice comes when the model expects recall at the target,
    # and never sooner than the shortest interval (same-day practice adds little).
    assert result.record.due_at() == START + result.record.interval()
    assert result.record.interval() >= DEFAULT_POLICY.model.min_interval


def test_digits_are_introduced_four_at_a_time() -> None:
    secret = generate_digits(8, seeded_entropy(3))
    result = engine.review(new_record(secret), secret.text, START)
    assert result.newly_hidden == (0, 1, 2, 3)
    assert result.record.hint() == "°°°°" + secret.text[4:]


def test_learning_hides_then_forgets_every_token_and_keeps_only_the_hash() -> None:
    secret = generate_words(5, seeded_entropy(4))
    record, practices, when = learn(new_record(secret), secret.text)
    assert record.hint() == " ".join(["•"] * 5)
    assert all(p.token is None for p in record.positions)
    assert record.learned_at == when
    assert 10 <= practices <= 60
    assert record.verifier.verify(secret.text.encode())


def test_intervals_grow_past_a_day_once_learned() -> None:
    secret = generate_words(5, seeded_entropy(5))
    record, _, now = learn(new_record(secret), secret.text)
    intervals = []
    for _ in range(16):
        now = record.due_at()
        record = engine.review(record, secret.text, now).record
        intervals.append(record.interval())
    assert intervals == sorted(intervals)
    assert intervals[-1] > DAY


def test_a_wrong_answer_shortens_the_interval_and_names_the_stored_mistake() -> None:
    secret = generate_words(3, seeded_entropy(6))
    record = engine.review(new_record(secret), secret.text, START).record
    now = record.due_at()
    right = engine.review(record, secret.text, now).record
    wrong_text = " ".join(["zzz", *secret.tokens[1:]])
    wrong = engine.review(record, wrong_text, now)
    assert not wrong.correct
    assert wrong.wrong_positions == (0,)
    stability = [r.positions[0].stability for r in (wrong.record, record, right)]
    assert stability == sorted(stability)
    assert len(set(stability)) == 3
    # A miss makes the secret due at once.
    assert wrong.record.due_at() == now
    assert wrong.record.streak == 0
    assert wrong.record.reveal() == secret.text


def test_a_wrong_forgotten_token_is_reported_without_knowing_which() -> None:
    secret = generate_words(2, seeded_entropy(7))
    record = new_record(secret)
    now = START
    while record.positions[0].stage is not Stage.FORGOTTEN:
        now = max(now, record.due_at())
        record = engine.review(record, secret.text, now).record
    typed = " ".join(["wrongword", *secret.tokens[1:]])
    result = engine.review(record, typed, record.due_at())
    assert not result.correct
    assert result.error_among_forgotten
    assert result.record.positions[0].stability < record.positions[0].stability


def test_wrong_length_is_its_own_mistake() -> None:
    secret = generate_words(3, seeded_entropy(8))
    result = engine.review(new_record(secret), secret.tokens[0], START)
    assert result.wrong_length
    assert not result.correct


def test_a_long_gap_resets_the_streak_and_hidden_progress() -> None:
    secret = generate_words(4, seeded_entropy(9))
    record = new_record(secret)
    now = START
    for _ in range(3):
        now = max(now, record.due_at())
        record = engine.review(record, secret.text, now).record
    assert record.streak == 3
    late = engine.review(record, secret.text, now + 30 * DAY)
    assert late.streak_reset
    assert late.record.streak == 1
    on_time = engine.review(record, secret.text, record.due_at())
    assert not on_time.streak_reset
    assert on_time.record.streak == 4


def test_answers_are_graded_case_and_space_insensitively_for_words() -> None:
    secret = generate_words(3, seeded_entropy(10))
    typed = "  " + "  ".join(secret.tokens).upper()
    assert engine.review(new_record(secret), typed, START).correct


def test_repr_of_a_record_shows_no_token() -> None:
    secret = generate_words(3, seeded_entropy(11))
    record = new_record(secret)
    assert all(t not in repr(record) for t in secret.tokens)
    assert all(t not in repr(record.positions) for t in secret.tokens)


seeds = st.integers(min_value=0, max_value=2**32)


@given(seed=seeds, words=st.integers(min_value=1, max_value=6))
def test_property_the_hash_verifies_exactly_the_generated_secret(seed: int, words: int) -> None:
    secret = generate_words(words, seeded_entropy(seed))
    record = new_record(secret)
    assert record.verifier.verify(secret.text.encode())
    other = generate_words(words, seeded_entropy(seed + 1))
    if other.text != secret.text:
        assert not record.verifier.verify(other.text.encode())
    assert not record.verifier.verify((secret.text + " x").encode())


_ORDER = {Stage.SHOWN: 0, Stage.HIDDEN: 1, Stage.FORGOTTEN: 2}


@given(
    seed=seeds,
    steps=st.lists(
        st.tuples(st.booleans(), st.floats(min_value=0, max_value=3 * DAY)),
        min_size=1,
        max_size=25,
    ),
)
def test_property_correct_answers_never_lose_progress(
    seed: int, steps: list[tuple[bool, float]]
) -> None:
    secret = generate_digits(6, seeded_entropy(seed))
    record = new_record(secret)
    now = START
    for correct, wait in steps:
        now += wait
        typed = secret.text if correct else "0" * 7
        late = record.last_review is not None and now - record.last_review > max(
            DEFAULT_POLICY.min_gap,
            DEFAULT_POLICY.gap_factor * (record.due_at() - record.last_review),
        )
        after = engine.review(record, typed, now)
        if correct:
            assert after.correct
            for old, new in zip(record.positions, after.record.positions, strict=True):
                assert _ORDER[new.stage] >= _ORDER[old.stage]
                if not late:
                    assert new.stability >= old.stability
            assert after.record.successes == record.successes + 1
        record = after.record


@given(
    seed=seeds,
    steps=st.lists(
        st.tuples(st.booleans(), st.floats(min_value=0, max_value=10 * DAY)),
        min_size=1,
        max_size=30,
    ),
    words=st.integers(min_value=1, max_value=5),
)
def test_property_a_right_answer_never_brings_the_next_practice_sooner(
    seed: int, steps: list[tuple[bool, float]], words: int
) -> None:
    """Whenever it is given (due or early, on demand), a miss making it due at once."""
    secret = generate_words(words, seeded_entropy(seed))
    record = new_record(secret)
    now = START
    for correct, wait in steps:
        now += wait
        before = record.due_at()
        after = engine.review(record, secret.text if correct else "zz", now)
        if correct:
            assert after.record.due_at() >= before
            assert after.record.due_at() > now
            if now < before:
                # Early practice starts no new chunk.
                assert after.newly_hidden == ()
        else:
            assert after.record.due_at() == now
        assert after.record.history[-1] == now
        assert len(after.record.history) <= DEFAULT_POLICY.history_length
        record = after.record


@given(seed=seeds, words=st.integers(min_value=1, max_value=6))
def test_property_intervals_widen_once_learned(seed: int, words: int) -> None:
    secret = generate_words(words, seeded_entropy(seed))
    record, _, _ = learn(new_record(secret), secret.text)
    intervals = []
    for _ in range(8):
        now = record.due_at()
        record = engine.review(record, secret.text, now).record
        intervals.append(record.due_at() - now)
    assert all(later > earlier for earlier, later in itertools.pairwise(intervals))
    assert intervals[-1] > 14 * DAY


@given(seed=seeds)
def test_property_a_pin_is_learned_in_fewer_practices_than_a_passphrase(seed: int) -> None:
    pin = generate_digits(6, seeded_entropy(seed))
    words = generate_words(5, seeded_entropy(seed))
    _, pin_practices, _ = learn(new_record(pin), pin.text)
    _, word_practices, _ = learn(new_record(words), words.text)
    assert pin_practices < word_practices


def _string_values(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for value in node.values() for v in _string_values(value)]
    if isinstance(node, list):
        return [v for value in node for v in _string_values(value)]
    return [node] if isinstance(node, str) else []


@given(seed=seeds, words=st.integers(min_value=1, max_value=5))
def test_property_a_learned_record_stores_no_token(seed: int, words: int) -> None:
    secret = generate_words(words, seeded_entropy(seed))
    record, _, _ = learn(new_record(secret), secret.text)
    document = json.loads(encode_entry(LabelEntry("x", record)))
    positions = document["current"]["positions"]
    assert len(positions) == words
    assert all("token" not in position for position in positions)
    # Keys such as "stability" are EFF words too: look at the values only,
    # leaving out the base64 salt and hash.
    verifier = document["current"].pop("verifier")
    assert set(verifier) == {"salt", "hash", "scrypt"}
    # Whole words: a token such as "word" is part of the kind "words".
    stored_words = {word for value in _string_values(document) for word in value.split()}
    for token in secret.tokens:
        assert token not in stored_words
