"""One PINPal command at a time may change the stored records.

The vault serialises its own file writes; this lock makes PINPAL's
read-grade-write of a record atomic across processes (two terminals drilling
at once), so no answer is lost.

The lock is taken on the state directory itself, not on a file in it: a
command that fails (a keyring that refuses, say) then leaves no lock file
behind, and there is no file whose removal could let two holders in.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from secrets_common.paths import ensure_private_dir


@contextlib.contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    ensure_private_dir(directory)
    descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the descriptor releases the lock.
        os.close(descriptor)


@contextlib.contextmanager
def try_exclusive(directory: Path) -> Iterator[bool]:
    """The same lock if it is free at once: yields whether it was taken."""
    ensure_private_dir(directory)
    descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)
