"""One PINPal command at a time may change the stored records.

The vault serialises its own file writes; this lock makes PINPal's
read-grade-write of a record atomic across processes (two terminals drilling
at once), so no answer is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from secrets_common.paths import ensure_private_dir

LOCK_FILE = "lock"


@contextlib.contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    ensure_private_dir(directory)
    descriptor = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the descriptor releases the lock.
        os.close(descriptor)
