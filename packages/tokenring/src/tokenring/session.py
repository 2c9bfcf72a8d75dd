"""What the agent keeps unlocked, and when it forgets it.

:class:`Session` holds at most one unlocked ring and locks it (drops every
reference to its keys) after :attr:`Timeouts.idle` seconds without use and
:attr:`Timeouts.lifetime` seconds after it was unlocked, whichever comes
first — the same two limits as gpg-agent's ``default-cache-ttl`` and
``max-cache-ttl``. The clock is a parameter; tests drive it by hand.

A request that arrives while the session is locked unlocks it again (one
touch, announced to the caller), as gpg-agent asks for the passphrase again
once its cache expired: the caller never has to fall back to working
in-process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

import attrs

from secrets_common.errors import UsageError

DEFAULT_IDLE = 600.0
DEFAULT_LIFETIME = 7200.0
IDLE_VARIABLE = "TOKENRING_IDLE_TIMEOUT"
LIFETIME_VARIABLE = "TOKENRING_LIFETIME"

T = TypeVar("T")


class Ring(Protocol):
    """The operations the agent serves from a vault (see :class:`tokenring.ring.Ring`)."""

    @property
    def is_unlocked(self) -> bool: ...

    def unlock(self, reason: str) -> None: ...

    def lock(self) -> None: ...

    def might_have(self, service: str, user: str) -> bool: ...

    def get(self, service: str, user: str, *, reason: str) -> str | None: ...

    def set(self, service: str, user: str, password: str, *, reason: str) -> None: ...

    def delete(self, service: str, user: str, *, reason: str) -> bool: ...

    def entries(self, reason: str) -> list[tuple[str, str]]: ...


RingOpener = Callable[[], Ring]
"""Opens the vault file, still locked (no touch)."""


def _seconds(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{what} must be a number of seconds, not {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise UsageError(f"{what} must be a positive number of seconds, not {text!r}")
    return value


@attrs.frozen
class Timeouts:
    idle: float = DEFAULT_IDLE
    lifetime: float = DEFAULT_LIFETIME

    @classmethod
    def from_options(
        cls,
        idle: str | float | None,
        lifetime: str | float | None,
        environ: Mapping[str, str] | None = None,
    ) -> Timeouts:
        """Flags first, then ``TOKENRING_IDLE_TIMEOUT`` / ``TOKENRING_LIFETIME``, then defaults."""
        env = os.environ if environ is None else environ
        idle_text = idle if idle is not None else env.get(IDLE_VARIABLE) or DEFAULT_IDLE
        life_text = (
            lifetime if lifetime is not None else env.get(LIFETIME_VARIABLE) or DEFAULT_LIFETIME
        )
        return cls(
            idle=_seconds(str(idle_text), "the idle timeout"),
            lifetime=_seconds(str(life_text), "the lifetime"),
        )


class Session:
    """The agent's vault and its two deadlines; safe to share between threads."""

    def __init__(
        self, open_ring: RingOpener, timeouts: Timeouts, clock: Callable[[], float]
    ) -> None:
        self._open_ring = open_ring
        self.timeouts = timeouts
        self._clock = clock
        self._ring: Ring | None = None
        self._unlocked_at = 0.0
        self._last_used = 0.0
        self._busy = False
        # One security key, one touch at a time: vault operations are serialised.
        self._work = threading.Lock()
        self._state = threading.Lock()

    @property
    def locked(self) -> bool:
        ring = self._ring
        return ring is None or not ring.is_unlocked

    def unlock(self, reason: str) -> None:
        """Unlock now (one touch) unless already unlocked."""
        self.use(lambda ring: ring.unlock(reason))

    def use(self, action: Callable[[Ring], T], *, on_locked: Callable[[], None] | None = None) -> T:
        """Run ``action`` on the vault, opening it first if needed.

        ``on_locked`` runs first when the vault is locked: the action will
        unlock it with its own touch. A ring that :meth:`lock` dropped while
        the action ran is locked as soon as the action is done.
        """
        with self._work:
            expired = self._take_expired()
            if expired is not None:
                expired.lock()
            with self._state:
                ring = self._ring
            if ring is None:
                ring = self._open_ring()
                with self._state:
                    self._ring = ring
            was_unlocked = ring.is_unlocked
            if not was_unlocked and on_locked is not None:
                on_locked()
            with self._state:
                self._busy = True
            try:
                return action(ring)
            finally:
                now = self._clock()
                with self._state:
                    self._busy = False
                    if self._ring is not ring:
                        ring.lock()
                    elif ring.is_unlocked:
                        if not was_unlocked:
                            self._unlocked_at = now
                        self._last_used = now

    def lock(self) -> bool:
        """Forget the vault's keys now; whether it was unlocked."""
        with self._state:
            ring, self._ring = self._ring, None
        if ring is None:
            return False
        was_unlocked = ring.is_unlocked
        # A request in progress owns the vault object; it locks it when done.
        if self._work.acquire(blocking=False):
            try:
                ring.lock()
            finally:
                self._work.release()
        return was_unlocked

    def _take_expired(self) -> Ring | None:
        """Detach the ring if a deadline passed; the caller locks it."""
        now = self._clock()
        with self._state:
            ring = self._ring
            if ring is None or not ring.is_unlocked:
                return None
            # A request waiting for a touch is not idleness.
            idle_over = not self._busy and now - self._last_used >= self.timeouts.idle
            life_over = now - self._unlocked_at >= self.timeouts.lifetime
            if not (idle_over or life_over):
                return None
            self._ring = None
            return ring

    def expire(self) -> bool:
        """Lock if a deadline passed; whether this call locked it."""
        ring = self._take_expired()
        if ring is None:
            return False
        # A request in progress owns the vault object; it locks it when done.
        if self._work.acquire(blocking=False):
            try:
                ring.lock()
            finally:
                self._work.release()
        return True

    def describe(self) -> dict[str, object]:
        """The figures ``tokenring status`` shows."""
        self.expire()
        now = self._clock()
        info: dict[str, object] = {
            "locked": self.locked,
            "idle_timeout": self.timeouts.idle,
            "lifetime": self.timeouts.lifetime,
        }
        with self._state:
            if not info["locked"]:
                info["locks_after_idle_in"] = max(0.0, self._last_used + self.timeouts.idle - now)
                info["locks_at_latest_in"] = max(
                    0.0, self._unlocked_at + self.timeouts.lifetime - now
                )
        return info
