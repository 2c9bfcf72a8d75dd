"""The touch queue on its own: first come first served, waiters told, leavers dropped."""

from __future__ import annotations

import threading

import pytest

from tokenring.agent.turns import Dropped, Turns

PATIENCE = 30.0


def test_turns_are_taken_in_arrival_order_and_waiters_hear_of_the_asking_head() -> None:
    turns: Turns[str] = Turns()
    order: list[str] = []
    heard: dict[str, list[str]] = {"b": [], "c": []}
    release = threading.Event()
    first_asks = threading.Event()

    def first() -> None:
        with turns.turn("a", on_wait=lambda _: None, still_wanted=lambda: True) as turn:
            order.append("a")
            turn.ask()
            first_asks.set()
            release.wait(PATIENCE)

    def later(name: str, queued: threading.Event) -> None:
        def told(label: str) -> None:
            heard[name].append(label)
            queued.set()

        with turns.turn(name, on_wait=told, still_wanted=lambda: True):
            order.append(name)

    holder = threading.Thread(target=first)
    holder.start()
    assert first_asks.wait(PATIENCE)
    threads = []
    for name in ("b", "c"):
        queued = threading.Event()
        thread = threading.Thread(target=later, args=(name, queued))
        thread.start()
        assert queued.wait(PATIENCE), f"{name} was not told who holds the key"
        threads.append(thread)
    assert turns.waiting() == 3
    release.set()
    for thread in (holder, *threads):
        thread.join(PATIENCE)
    assert order == ["a", "b", "c"]
    assert heard == {"b": ["a"], "c": ["a"]}, "a head that never asks is not announced"
    assert turns.waiting() == 0


def test_a_request_whose_client_left_is_dropped_at_its_turn() -> None:
    turns: Turns[str] = Turns()
    with turns.turn("free", on_wait=lambda _: None, still_wanted=lambda: True):
        pass
    with (
        pytest.raises(Dropped),
        turns.turn("gone", on_wait=lambda _: None, still_wanted=lambda: False),
    ):
        pytest.fail("a request whose client left must not get its turn")
    assert turns.waiting() == 0
