"""Service and drill over the in-memory store, with a fake clock and console."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import stat
from pathlib import Path

import attrs
import pytest

from pinpal.cli.drill import drill
from pinpal.cli.quickcheck import read_due
from pinpal.learning.secretgen import NewSecret, generate_digits, generate_words
from pinpal.service import Pinpal
from pinpal.storage.codec import CURRENT, RETIRING, CorruptRecordError, decode_entry
from pinpal.storage.locking import exclusive
from pinpal.storage.store import MemoryStore
from secrets_common.errors import NotFoundError, UsageError
from tests.pinpal.helpers import START, TINY_SCRYPT, FakeClock, seeded_entropy


@attrs.define
class ScriptedConsole:
    """Answers prompts from a list and records everything said."""

    answers: list[str]
    said: list[str] = attrs.Factory(list)
    asked: list[str] = attrs.Factory(list)

    def say(self, text: str) -> None:
        self.said.append(text)

    def ask_secret(self, prompt: str) -> str:
        self.asked.append(prompt)
        return self.answers.pop(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(tmp_path: Path, clock: FakeClock) -> Pinpal:
    return Pinpal(MemoryStore(), tmp_path / "state", clock, lambda: TINY_SCRYPT, seeded_entropy(7))


def words(seed: int, count: int = 3) -> NewSecret:
    return generate_words(count, seeded_entropy(seed))


def test_new_writes_the_due_file_0600_with_only_a_time(service: Pinpal) -> None:
    secret = words(1)
    service.new("mail", secret)
    due_file = service.state_dir / "due"
    assert read_due(str(due_file)) == START
    assert stat.S_IMODE(due_file.stat().st_mode) == 0o600
    text = due_file.read_text()
    assert all(token not in text for token in secret.tokens)
    assert not [p for p in service.state_dir.iterdir() if p.name.startswith(".due-")]


def test_labels_are_unique_and_sane(service: Pinpal) -> None:
    service.new("mail", words(1))
    with pytest.raises(UsageError, match="rotate"):
        service.new("mail", words(2))
    with pytest.raises(UsageError, match="label"):
        service.new(" padded", words(2))
    with pytest.raises(UsageError, match="label"):
        service.new("bad\nlabel", words(2))


def test_drill_practises_due_secrets_and_reports_a_miss(service: Pinpal, clock: FakeClock) -> None:
    secret = words(3)
    service.new("mail", secret)
    console = ScriptedConsole(["wrong words here", secret.text])
    summary = drill(service, console)
    assert (summary.practised, summary.correct) == (1, 1)
    assert console.said[0] == f"mail: {secret.text}"
    assert any(line.startswith("not quite") for line in console.said)
    record = service.entry("mail").current
    assert record.practices == 2
    assert record.hint().startswith("°")
    # Nothing is due right after: the drill asks nothing.
    quiet = ScriptedConsole([])
    assert drill(service, quiet).practised == 0
    assert read_due(str(service.state_dir / "due")) == pytest.approx(record.due_at(), abs=1)


def test_attempts_per_session_are_limited(service: Pinpal) -> None:
    service.new("pin", generate_digits(4, seeded_entropy(4)))
    console = ScriptedConsole(["0"] * 10)
    summary = drill(service, console)
    assert summary.correct == 0
    assert len(console.asked) == service.policy.max_attempts
    assert "no more tries" in console.said[-2]
    assert "next practice now" in console.said[-1]


def test_a_lost_learned_secret_points_to_rotate(service: Pinpal, clock: FakeClock) -> None:
    secret = generate_digits(4, seeded_entropy(5))
    service.new("pin", secret)
    while not service.entry("pin").current.learned:
        clock.now = max(clock.now, service.entry("pin").current.due_at())
        service.answer("pin", CURRENT, secret.text)
    clock.now = service.entry("pin").current.due_at()
    console = ScriptedConsole(["0000" if secret.text != "0000" else "1111"] * 3)
    drill(service, console)
    assert console.said[-2].endswith("`pinpal rotate pin` starts a new one.")
    # The miss message claims no stored digit and shows no row of placeholders.
    assert all("It is:" not in line and "every stored" not in line for line in console.said)
    assert all(secret.text not in line for line in console.said)


def test_a_secret_is_learned_across_days_and_then_only_hashed(
    service: Pinpal, clock: FakeClock
) -> None:
    secret = words(5, count=2)
    service.new("laptop", secret)
    for _ in range(100):
        clock.now = max(clock.now, service.entry("laptop").current.due_at())
        summary = drill(service, ScriptedConsole([secret.text]))
        if summary.learned:
            break
    else:
        pytest.fail("not learned")
    stored = json.loads(service.store.read("laptop"))
    assert all("token" not in position for position in stored["current"]["positions"])
    # Forgetting waits for a week-long stability: never within one sitting.
    assert clock.now - START > 12 * 3600


def test_rotate_keeps_the_old_secret_until_the_new_one_is_learned(
    service: Pinpal, clock: FakeClock
) -> None:
    old, new = words(10, 1), words(11, 1)
    service.new("bank", old)
    service.rotate("bank", new)
    entry = service.entry("bank")
    assert entry.retiring is not None
    assert {role for role, _ in entry.records()} == {CURRENT, RETIRING}
    retired = False
    for _ in range(100):
        entry = service.entry("bank")
        clock.now = max(clock.now, entry.current.due_at())
        review, retired = service.answer("bank", CURRENT, new.text)
        assert review.correct
        if retired:
            break
    assert retired
    assert service.entry("bank").retiring is None
    with pytest.raises(NotFoundError):
        service.answer("bank", RETIRING, old.text)


def test_drop_removes_the_label_and_clears_the_due_file(service: Pinpal) -> None:
    service.new("mail", words(1))
    service.drop("mail")
    assert service.store.labels() == []
    assert not (service.state_dir / "due").exists()
    with pytest.raises(NotFoundError):
        service.drop("mail")


def test_an_old_hash_is_renewed_with_this_machines_cost_on_a_right_answer(
    tmp_path: Path, clock: FakeClock
) -> None:
    cheap = Pinpal(MemoryStore(), tmp_path, clock, lambda: TINY_SCRYPT, seeded_entropy(1))
    secret = words(20)
    cheap.new("x", secret)
    stronger = attrs.evolve(TINY_SCRYPT, n=32)
    upgraded = Pinpal(cheap.store, tmp_path, clock, lambda: stronger, seeded_entropy(2))
    review, _ = upgraded.answer("x", CURRENT, secret.text)
    assert review.correct
    verifier = upgraded.entry("x").current.verifier
    assert verifier.params == stronger
    assert verifier.verify(secret.text.encode())


def test_a_hash_is_never_renewed_at_a_lower_cost(tmp_path: Path, clock: FakeClock) -> None:
    stronger = attrs.evolve(TINY_SCRYPT, n=64)
    first = Pinpal(MemoryStore(), tmp_path, clock, lambda: stronger, seeded_entropy(1))
    secret = words(20)
    first.new("x", secret)
    # Cheaper in every way, and more work for less memory.
    for cheaper in (TINY_SCRYPT, attrs.evolve(TINY_SCRYPT, n=32, p=4)):
        later = Pinpal(first.store, tmp_path, clock, functools.partial(lambda c: c, cheaper))
        review, _ = later.answer("x", CURRENT, secret.text)
        assert review.correct
        assert later.entry("x").current.verifier == first.entry("x").current.verifier


def test_a_damaged_record_is_one_clear_error_without_its_content(service: Pinpal) -> None:
    service.store.write("mail", b'{"format": "pinpal-label", "version": 1, "label": "secretword"')
    with pytest.raises(CorruptRecordError, match="'mail'") as caught:
        service.entry("mail")
    assert "secretword" not in str(caught.value)
    with pytest.raises(CorruptRecordError):
        decode_entry(os.urandom(40), "x")


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def read(self, label: str) -> bytes:
        self.reads += 1
        return super().read(label)


def test_each_label_is_read_once_per_command(tmp_path: Path, clock: FakeClock) -> None:
    store = CountingStore()
    first = Pinpal(store, tmp_path, clock, lambda: TINY_SCRYPT, seeded_entropy(1))
    secrets = {label: words(i) for i, label in enumerate(["a", "b", "c"])}
    for label, secret in secrets.items():
        first.new(label, secret)
    # A new command: a drill of three secrets, then the due file, then a listing.
    store.reads = 0
    command = Pinpal(store, tmp_path, clock, lambda: TINY_SCRYPT, seeded_entropy(2))
    answers = [secrets[label].text for label in sorted(secrets)]
    assert drill(command, ScriptedConsole(answers)).correct == 3
    command.entries()
    assert store.reads == 3


def test_two_commands_at_once_lose_no_answer(tmp_path: Path, clock: FakeClock) -> None:
    store = MemoryStore()
    secret = words(30)
    Pinpal(store, tmp_path, clock, lambda: TINY_SCRYPT, seeded_entropy(1)).new("x", secret)
    first = Pinpal(store, tmp_path, clock, lambda: TINY_SCRYPT, seeded_entropy(2))
    second = Pinpal(store, tmp_path, clock, lambda: TINY_SCRYPT, seeded_entropy(3))
    # Both have read the record (as a drill does before prompting).
    assert first.due()
    assert second.due()
    first.answer("x", CURRENT, secret.text)
    second.answer("x", CURRENT, "wrong")
    assert Pinpal(store, tmp_path, clock, lambda: TINY_SCRYPT).entry("x").current.practices == 2
    assert not (tmp_path / "lock").exists()  # the directory itself is the lock


def test_the_lock_excludes_another_holder(tmp_path: Path) -> None:
    with exclusive(tmp_path):
        other = os.open(tmp_path, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    other = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(other)


def test_withdraw_undoes_an_unanswered_new_or_rotate_and_keeps_an_answered_one(
    service: Pinpal,
) -> None:
    made = service.new("pin", generate_digits(4, service.entropy))
    assert service.withdraw(made, None)
    assert service.store.labels() == []
    assert not (service.state_dir / "due").exists()  # nothing is scheduled

    old = service.new("pin", generate_digits(4, service.entropy))
    rotated = service.rotate("pin", generate_digits(6, service.entropy))
    assert service.withdraw(rotated, old)
    assert decode_entry(service.store.read("pin"), "pin") == old

    rotated = service.rotate("pin", generate_digits(6, service.entropy))
    service.answer("pin", CURRENT, "1")
    assert not service.withdraw(rotated, old)
    assert service.entry("pin").retiring == old.current
    assert service.entry("pin").current.practices == 1


def test_a_rehearsal_writes_no_due_file_and_takes_no_lock(tmp_path: Path, clock: FakeClock) -> None:
    rehearsal = Pinpal(
        MemoryStore(), tmp_path / "state", clock, lambda: TINY_SCRYPT, rehearsal=True
    )
    rehearsal.new("pin", generate_digits(4, rehearsal.entropy))
    rehearsal.drop("pin")
    assert not (tmp_path / "state").exists()
