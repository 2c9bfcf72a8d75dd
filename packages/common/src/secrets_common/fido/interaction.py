"""Talking to the person at the keyboard while a security key works.

The key source never prints or reads anything itself: it is handed an
:class:`Interaction`. :class:`TerminalInteraction` draws a live spinner with a
countdown and asks for a PIN without echo; :class:`PlainInteraction` writes
one line per request, for logs and pipes, and never blocks on input.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TextIO

SPINNER_FRAMES = "|/-\\"
SPINNER_PERIOD = 0.1
"""Seconds between two frames of the spinner."""


class Interaction(Protocol):
    """What a key source needs from the user, besides the touch itself."""

    def touch_started(
        self, reason: str, timeout: float, *, authenticator: str | None = None
    ) -> None:
        """The key is waiting for a touch; ``reason`` completes "Touch … to".

        ``authenticator`` is the label of the key to touch, given when several
        keys are connected (so that the user touches the right one); a key
        source leaves it out otherwise, so older implementations still work.
        """
        ...

    def touch_ended(self) -> None:
        """The key stopped waiting (touched, refused, timed out or cancelled)."""
        ...

    def ask_pin(self, authenticator: str, reason: str) -> str | None:
        """The PIN of ``authenticator``, or ``None`` when none can be given."""
        ...

    def choose(self, question: str, choices: Sequence[str]) -> int:
        """The index of the choice the user picked among several keys."""
        ...


def say(stream: TextIO | None, line: str, *, end: str = "\n") -> None:
    """Write one line of information to ``stream`` (stderr), as well as it can.

    A prompt or warning nobody can see is no reason to fail the command: with
    stderr closed (``2>&-``, so ``sys.stderr`` is None), a reader gone away
    or a terminal hung up, the line is dropped and the command carries on.
    """
    if stream is None:
        return
    try:
        stream.write(line + end)
        stream.flush()
    except (OSError, ValueError):  # ValueError: the stream was closed
        pass


def touch_prompt(reason: str, authenticator: str | None = None) -> str:
    """The sentence asking for a touch, e.g. "Touch your security key to read 'pypi'".

    With several keys connected it names the one: "Touch your security key
    YubiKey 5 NFC (/dev/hidraw3) to read 'pypi'".
    """
    if authenticator is None:
        return f"Touch your security key to {reason}"
    return f"Touch your security key {authenticator} to {reason}"


@dataclass(slots=True)
class PlainInteraction:
    """One line on ``stream`` per touch; no PIN; the first of several keys.

    For scripts, logs and pipes: it never waits for input, so a command that
    needs a PIN fails with a clear error instead of hanging.
    """

    stream: TextIO = field(default_factory=lambda: sys.stderr)

    def touch_started(
        self, reason: str, timeout: float, *, authenticator: str | None = None
    ) -> None:
        say(self.stream, f"{touch_prompt(reason, authenticator)} (waiting up to {timeout:g} s)")

    def touch_ended(self) -> None:
        pass

    def ask_pin(self, authenticator: str, reason: str) -> str | None:  # noqa: ARG002
        return None

    def choose(self, question: str, choices: Sequence[str]) -> int:
        # Deterministic, so that scripts (and tests with several software
        # authenticators) always get the first key listed.
        say(self.stream, f"{question} Using the first: {choices[0]}")
        return 0


@dataclass(slots=True)
class Spinner:
    """A line redrawn every :data:`SPINNER_PERIOD` until :meth:`stop`."""

    stream: TextIO
    text: Callable[[int], str]
    """The line to draw for frame number ``n``."""
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="touch-spinner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        frame = 0
        while True:
            say(self.stream, "\r\x1b[K" + self.text(frame), end="")
            frame += 1
            if self._stop.wait(SPINNER_PERIOD):
                break

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        say(self.stream, "\r\x1b[K", end="")


def _read_hidden(prompt: str) -> str:
    import getpass  # with termios, only for the PIN prompt: listing keys never asks

    return getpass.getpass(prompt)


@dataclass(slots=True)
class TerminalInteraction:
    """A live spinner with a countdown, a no-echo PIN prompt, a numbered chooser."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    read_pin: Callable[[str], str] = _read_hidden
    read_line: Callable[[str], str] = input
    clock: Callable[[], float] = time.monotonic
    _spinner: Spinner | None = field(default=None, init=False)

    def touch_started(
        self, reason: str, timeout: float, *, authenticator: str | None = None
    ) -> None:
        self.touch_ended()
        deadline = self.clock() + timeout
        prompt = touch_prompt(reason, authenticator)

        def line(frame: int) -> str:
            left = max(0, round(deadline - self.clock()))
            return f"{SPINNER_FRAMES[frame % len(SPINNER_FRAMES)]} {prompt} ({left} s)"

        self._spinner = Spinner(self.stream, line)
        self._spinner.start()

    def touch_ended(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def ask_pin(self, authenticator: str, reason: str) -> str | None:
        try:
            pin = self.read_pin(f"PIN of {authenticator} (to {reason}): ")
        except EOFError:
            return None
        return pin or None

    def choose(self, question: str, choices: Sequence[str]) -> int:
        self.stream.write(question + "\n")
        for number, choice in enumerate(choices, start=1):
            self.stream.write(f"  {number}. {choice}\n")
        self.stream.flush()
        while True:
            try:
                answer = self.read_line(f"Number (1-{len(choices)}): ").strip()
            except EOFError:
                return 0
            if answer.isdigit() and 1 <= int(answer) <= len(choices):
                return int(answer) - 1
            self.stream.write(f"Please type a number from 1 to {len(choices)}.\n")


@dataclass(slots=True)
class RecordingInteraction:
    """A scripted user for tests: answers PINs from a list and records every prompt.

    ``pins`` are handed out in order (``None`` once they run out); ``choice``
    is the index picked whenever several keys are offered.
    """

    pins: list[str] = field(default_factory=list)
    choice: int = 0
    touches: list[str] = field(default_factory=list)
    """The reason of every touch requested, in order."""
    touched_keys: list[str | None] = field(default_factory=list)
    """The key named by every touch request (``None`` when only one was connected)."""
    pin_requests: list[str] = field(default_factory=list)
    """The authenticator label of every PIN request."""
    choices: list[tuple[str, ...]] = field(default_factory=list)
    """The options of every choice offered."""
    touching: bool = False

    def touch_started(
        self,
        reason: str,
        timeout: float,  # noqa: ARG002
        *,
        authenticator: str | None = None,
    ) -> None:
        self.touches.append(reason)
        self.touched_keys.append(authenticator)
        self.touching = True

    def touch_ended(self) -> None:
        self.touching = False

    def ask_pin(self, authenticator: str, reason: str) -> str | None:  # noqa: ARG002
        self.pin_requests.append(authenticator)
        return self.pins.pop(0) if self.pins else None

    def choose(self, question: str, choices: Sequence[str]) -> int:  # noqa: ARG002
        self.choices.append(tuple(choices))
        return self.choice


def default_interaction(stream: TextIO | None = None) -> Interaction:
    """The live terminal interaction when ``stream`` is a terminal, else plain lines."""
    target = sys.stderr if stream is None else stream
    live = _is_terminal(target)
    if not live:
        return PlainInteraction(stream=target)
    if _is_terminal(sys.stdin):
        return TerminalInteraction(stream=target)
    # Standard input carries data for the command: never read a choice from it.
    return TerminalInteraction(stream=target, read_line=_no_answer)


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


def _no_answer(prompt: str) -> str:  # noqa: ARG001
    raise EOFError


_check_plain: type[Interaction] = PlainInteraction
_check_terminal: type[Interaction] = TerminalInteraction
_check_recording: type[Interaction] = RecordingInteraction
