"""Writing the due-time file that ``check`` and the shell snippets read.

It holds one integer (epoch seconds of the earliest due practice) and never
anything about the secrets themselves. Written 0600, atomically (temporary
file in the same directory, fsync, rename), after every change.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pinpal.quickcheck import DUE_FILE, STATE_DIR, read_due
from pinpal.quickcheck import secrets_home as quick_home
from secrets_common.paths import ensure_private_dir


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """SECRETS_HOME/pinpal, not created."""
    return Path(quick_home(os.environ if environ is None else environ)) / STATE_DIR


def write_due(directory: Path, due: float | None) -> Path:
    """Record the earliest due time, or remove the file when nothing is scheduled.

    An unchanged time is not rewritten: `list` and `drill` call this to repair
    a damaged file, and most of the time there is nothing to repair.
    """
    target = directory / DUE_FILE
    if due is None:
        target.unlink(missing_ok=True)
        return target
    ensure_private_dir(directory)
    if read_due(str(target)) == math.ceil(due):
        return target
    descriptor, temporary = tempfile.mkstemp(prefix=".due-", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(f"{math.ceil(due)}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
