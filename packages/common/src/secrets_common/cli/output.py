"""Printing a command's result on standard output."""

from __future__ import annotations

import sys

from secrets_common.errors import SecretsError


def emit(text: str) -> None:
    """Print ``text`` and a newline; output that cannot be written is an error.

    A result printed nowhere is not a success: a secret read for nothing would
    have cost a touch silently, a listing would look empty.
    """
    stream = sys.stdout
    if stream is None:  # started with stdout closed (`>&-`)
        raise SecretsError("standard output is closed: nothing could be printed")
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        raise  # the reader went away (`| head`): the runner ends quietly
    except OSError as error:
        raise SecretsError(f"cannot write to standard output: {error.strerror or error}") from None


def note(text: str) -> None:
    """A message on stderr, best effort: the work is done whether or not it shows."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass
