"""The user's terminal: secret prompts, confirmations, the calibration spinner.

Every way a prompt can end without an answer (end of input, Ctrl-C, bytes
that are not text) becomes one of the toolkit's errors here, so the CLI
prints one ``error:`` line. No error message quotes what was typed.
"""

from __future__ import annotations

import functools
import sys

from secrets_common.errors import SecretsError, UsageError

TYPE_CHECKING = False  # the fast `pinpal list` imports this module: typing costs it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import ParamSpec, TypeVar

    # Only for the check below: `pinpal list` needs no drill.
    from pinpal.cli.drill import Console
    from pinpal.learning.kdf import ScryptParams

    P = ParamSpec("P")
    R = TypeVar("R")


class Interrupted(SecretsError):
    """Ctrl-C: every answer graded before it is already saved."""

    exit_code = 130


class NoAnswerError(UsageError):
    """A prompt got end of input instead of an answer."""


def interruptible(command: Callable[P, R]) -> Callable[P, R]:
    """Make Ctrl-C in a command one ``error:`` line and exit status 130.

    typer would turn it into a silent exit 130; the user should learn that
    nothing was lost.
    """

    @functools.wraps(command)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            raise Interrupted("interrupted; every answer given before was saved") from None

    return guarded


def _read_line(prompt: str) -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    # Piped input has no echo to hide; getpass would warn that it cannot.
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        # The error line must not run on from the prompt.
        sys.stderr.write("\n")
        raise EOFError
    return line.rstrip("\r\n")


class TerminalConsole:
    """The :class:`pinpal.cli.drill.Console` of a real terminal."""

    def say(self, text: str) -> None:
        print(text, flush=True)

    def ask_secret(self, prompt: str) -> str:
        try:
            return _read_line(prompt)
        except EOFError:
            raise NoAnswerError("no answer (end of input)") from None
        except UnicodeDecodeError:
            # The decoder's message would quote the offending byte.
            raise UsageError("the answer is not valid UTF-8 text; nothing was recorded") from None

    def confirm(self, question: str) -> bool:
        """A yes/no question, no by default."""
        try:
            answer = input(f"{question} [y/N]: ")
        except EOFError:
            raise NoAnswerError("no answer (end of input)") from None
        return answer.strip().lower() in ("y", "yes")


class Spinner:
    """A spinner on stderr while the hash cost is calibrated (a terminal only)."""

    FRAMES = "|/-\\"
    TEXT = "calibrating the hash for this machine (once)"

    def __init__(self) -> None:
        self.count = 0
        self.active = sys.stderr.isatty()

    def tick(self) -> None:
        if self.active:
            frame = self.FRAMES[self.count % len(self.FRAMES)]
            sys.stderr.write(f"\r{self.TEXT} {frame}")
            sys.stderr.flush()
        self.count += 1

    def done(self) -> None:
        if self.active:
            sys.stderr.write("\r" + " " * (len(self.TEXT) + 2) + "\r")
            sys.stderr.flush()


def calibrate_with_spinner() -> ScryptParams:
    """Calibrate the hash cost, animating a spinner meanwhile."""
    from pinpal.learning.kdf import calibrate

    spinner = Spinner()
    spinner.tick()
    try:
        return calibrate(tick=spinner.tick)
    finally:
        spinner.done()


if TYPE_CHECKING:
    _check: type[Console] = TerminalConsole
