"""The agent's lock-on-timeout logic, driven by a hand-cranked clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secrets_common.errors import UsageError
from tokenring.session import Ring, Session, Timeouts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MemoryRing:
    """A ring whose unlocking is counted; entries live in a dict."""

    def __init__(self, entries: dict[tuple[str, str], str]) -> None:
        self.entries_ = entries
        self.unlocked = False
        self.unlocks = 0

    @property
    def is_unlocked(self) -> bool:
        return self.unlocked

    def unlock(self, reason: str) -> None:
        if not self.unlocked:
            self.unlocked = True
            self.unlocks += 1

    def lock(self) -> None:
        self.unlocked = False

    def might_have(self, service: str, user: str) -> bool:
        return not self.unlocked or (service, user) in self.entries_

    def get(self, service: str, user: str, *, reason: str) -> str | None:
        self.unlock(reason)
        return self.entries_.get((service, user))

    def set(self, service: str, user: str, password: str, *, reason: str) -> None:
        self.unlock(reason)
        self.entries_[service, user] = password

    def delete(self, service: str, user: str, *, reason: str) -> bool:
        self.unlock(reason)
        return self.entries_.pop((service, user), None) is not None

    def entries(self, reason: str) -> list[tuple[str, str]]:
        self.unlock(reason)
        return sorted(self.entries_)


_check: type[Ring] = MemoryRing


def locked(session: Session) -> bool:
    # A call, so that mypy does not narrow the property between two asserts.
    return session.locked


def make(idle: float = 10, lifetime: float = 100) -> tuple[Session, Clock, list[MemoryRing]]:
    clock = Clock()
    store: dict[tuple[str, str], str] = {("s", "u"): "p"}
    opened: list[MemoryRing] = []

    def open_ring() -> MemoryRing:
        opened.append(MemoryRing(store))
        return opened[-1]

    return Session(open_ring, Timeouts(idle=idle, lifetime=lifetime), clock), clock, opened


def test_idle_timeout_locks_and_use_resets_it() -> None:
    session, clock, opened = make(idle=10, lifetime=100)
    session.unlock("start")
    clock.advance(9)
    session.use(lambda ring: ring.entries("list"))
    clock.advance(9)
    assert not session.expire()
    assert not locked(session)
    clock.advance(1)
    assert session.expire()
    assert locked(session)
    assert opened[0].is_unlocked is False  # the keys were dropped, not just the reference


def test_lifetime_locks_a_session_in_constant_use() -> None:
    session, clock, _ = make(idle=10, lifetime=30)
    session.unlock("start")
    for _ in range(5):
        clock.advance(5)
        session.use(lambda ring: ring.entries("list"))
    assert not locked(session)
    clock.advance(5)
    assert session.expire()


def test_a_locked_session_unlocks_again_and_tells_first() -> None:
    session, clock, opened = make(idle=10)
    session.unlock("start")
    clock.advance(11)
    told: list[str] = []
    value = session.use(
        lambda ring: ring.get("s", "u", reason="read"), on_locked=lambda: told.append("locked")
    )
    assert value == "p"
    assert told == ["locked"]
    assert len(opened) == 2
    assert not locked(session)
    describe = session.describe()
    assert describe["locks_after_idle_in"] == 10


def test_lock_during_a_request_locks_when_it_ends() -> None:
    session, _, opened = make()
    session.unlock("start")

    def action(ring: Ring) -> None:
        assert session.lock() is True
        assert ring.is_unlocked  # still in use by this request

    session.use(action)
    assert opened[0].is_unlocked is False
    assert locked(session)


def test_a_pending_request_is_not_idleness() -> None:
    session, clock, _ = make(idle=10, lifetime=100)
    session.unlock("start")

    def slow(ring: Ring) -> None:
        clock.advance(50)  # e.g. waiting for the touch
        assert session.expire() is False

    session.use(slow)
    assert not locked(session)


@given(
    steps=st.lists(
        st.tuples(st.floats(min_value=0, max_value=20), st.booleans()), min_size=1, max_size=30
    )
)
def test_locked_exactly_when_a_deadline_passed(steps: list[tuple[float, bool]]) -> None:
    idle, lifetime = 10.0, 60.0
    session, clock, _ = make(idle=idle, lifetime=lifetime)
    session.unlock("start")
    unlocked_at = last_used = clock.now
    for pause, use in steps:
        clock.advance(pause)
        expected_locked = (
            clock.now - last_used >= idle or clock.now - unlocked_at >= lifetime
        ) or locked(session)
        session.expire()
        assert locked(session) == expected_locked
        if use:
            if locked(session):
                unlocked_at = clock.now
            session.use(lambda ring: ring.get("s", "u", reason="read"))
            last_used = clock.now


def test_timeouts_from_flags_environment_and_defaults() -> None:
    assert Timeouts.from_options(None, None, {}) == Timeouts(600, 7200)
    env = {"TOKENRING_IDLE_TIMEOUT": "5", "TOKENRING_LIFETIME": "50"}
    assert Timeouts.from_options(None, None, env) == Timeouts(5, 50)
    assert Timeouts.from_options("1.5", "9", env) == Timeouts(1.5, 9)


@pytest.mark.parametrize("bad", ["0", "-1", "soon", "inf", "nan"])
def test_bad_timeouts_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError, match="seconds"):
        Timeouts.from_options(bad, None, {})
