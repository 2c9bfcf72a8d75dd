"""Writing the due-time file that ``check`` and the shell snippets read.

It holds one integer (epoch seconds of the earliest due practice) and never
anything about the secrets themselves. Written 0600 and atomically
(:mod:`pinpal.storage.privatefile`) after every change.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

from pinpal.cli.quickcheck import DUE_FILE, STATE_DIR, read_due
from pinpal.cli.quickcheck import secrets_home as quick_home
from pinpal.storage.privatefile import write_private


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
        # exists() is also False when SECRETS_HOME is not a directory at all.
        if target.exists():
            target.unlink()
        return target
    if read_due(str(target)) != math.ceil(due):
        write_private(target, f"{math.ceil(due)}\n")
    return target


LABELS_FILE = "due-labels"
MAX_LABELS_BYTES = 1 << 20


def write_due_labels(directory: Path, times: Mapping[str, float]) -> Path:
    """Record each label's earliest due time for `remind`, which opens no vault.

    Labels are not secrets, but they say what someone guards: 0600 anyway.
    """
    target = directory / LABELS_FILE
    if not times:
        if target.exists():
            target.unlink()
        return target
    wanted = {label: math.ceil(due) for label, due in sorted(times.items())}
    if read_due_labels(target) != wanted:
        write_private(target, json.dumps(wanted, ensure_ascii=False) + "\n")
    return target


def read_due_labels(path: Path) -> dict[str, int] | None:
    """Label -> due time, or None when the file is missing or damaged."""
    try:
        with path.open("rb") as handle:
            data = json.loads(handle.read(MAX_LABELS_BYTES))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    found: dict[str, int] = {}
    for label, due in data.items():
        if not isinstance(due, int) or isinstance(due, bool):
            return None
        found[str(label)] = due
    return found
