"""Replacing one of PINPal's small state files, whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from secrets_common.paths import ensure_private_dir


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: a 0600 temporary beside it, fsync, rename.

    A reader (the shell prompt) sees the old content or the new, never half;
    a crash leaves no temporary behind unless it kills the process outright.
    """
    ensure_private_dir(path.parent)
    # mkstemp creates the file 0600 whatever the umask.
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
