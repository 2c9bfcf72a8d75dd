"""One agent per socket path, however many clients start one at once.

Binding replaces a socket file nobody answers on (a dead agent's leftover).
Two agents started together could both find it dead, and the second would
unlink the first one's fresh socket. The probe, the unlink and the bind are
therefore done under an exclusive ``flock`` of ``<socket>.lock`` (the lock
PINPal's records use too): the second agent then finds a socket that answers
and gives up with "an agent already runs".
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from secrets_common.paths import ensure_private_dir


@contextlib.contextmanager
def binding(socket_path: str) -> Iterator[None]:
    """Hold the right to (re)bind ``socket_path`` for the duration of the block."""
    ensure_private_dir(Path(socket_path).parent)
    descriptor = os.open(f"{socket_path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock
