"""The agent's queue of requests for the one security key, first come first served.

A request takes a turn before it touches the vault; while others are
ahead of it, it is told who holds the key and what for, each time that
changes and once the holder actually asks for a touch, so that a person
never touches without knowing whose request the touch releases. A
``threading.Lock`` alone is neither fair nor telling.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

Label = TypeVar("Label")


class Dropped(Exception):
    """The request's client went away before its turn: the key is not asked."""


class Turn(Generic[Label]):
    """One request's place in the queue."""

    def __init__(self, label: Label, turns: Turns[Label]) -> None:
        self.label = label
        self.asking = False
        self.waited = False
        """Whether it was told of a request ahead of it."""
        self._turns = turns

    def ask(self) -> None:
        """The key is about to be asked for this turn's touch: tell those waiting."""
        self._turns._mark_asking(self)


class Turns(Generic[Label]):
    """A fair queue of requests, each labelled with what it asks for."""

    def __init__(self) -> None:
        self._queue: deque[Turn[Label]] = deque()
        self._changed = threading.Condition()

    @contextmanager
    def turn(
        self,
        label: Label,
        *,
        on_wait: Callable[[Label], None],
        still_wanted: Callable[[], bool],
    ) -> Iterator[Turn[Label]]:
        """Wait for this request's turn, then hold it for the ``with`` block.

        ``on_wait`` gets the label of the request at the key whenever that
        one asks for a touch while this one waits (from this thread, without
        the queue's lock); an exception from it leaves the queue. When the
        turn comes, ``still_wanted`` decides whether it is taken at all:
        :class:`Dropped` if not.
        """
        mine = Turn(label, self)
        with self._changed:
            self._queue.append(mine)
        try:
            self._wait_for(mine, on_wait)
            if not still_wanted():
                raise Dropped("the client went away before its turn")
            yield mine
        finally:
            with self._changed:
                self._queue.remove(mine)
                self._changed.notify_all()

    def _wait_for(self, mine: Turn[Label], on_wait: Callable[[Label], None]) -> None:
        told: Turn[Label] | None = None
        while True:
            with self._changed:
                while True:
                    head = self._queue[0]
                    if head is mine:
                        return
                    if head.asking and head is not told:
                        break
                    self._changed.wait()
            told = head
            mine.waited = True
            on_wait(head.label)

    def _mark_asking(self, turn: Turn[Label]) -> None:
        with self._changed:
            turn.asking = True
            self._changed.notify_all()

    def waiting(self) -> int:
        """How many requests hold or wait for a turn."""
        with self._changed:
            return len(self._queue)
