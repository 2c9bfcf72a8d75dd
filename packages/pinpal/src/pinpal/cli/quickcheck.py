"""``pinpal check``: print the marker when practice is due. Standard library only.

This runs in every shell prompt, so it imports nothing beyond ``os`` and
``sys`` (``time`` is built in): not typer, keyring, cryptography, attrs,
pathlib, nor even ``secrets_common`` (whose package import costs more than a
whole ``python -c pass``). It reads one non-secret file holding the earliest
due time as integer epoch seconds, and always exits 0.
"""

from __future__ import annotations

import os
import sys
import time

from secrets_common.home import secrets_home_text

# typing and collections.abc are not imported at run time (see above).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

MARKER_VARIABLE = "PINPAL_MARKER"
DEFAULT_MARKER = "[pin]"
DUE_FILE = "due"
STATE_DIR = "pinpal"
MAX_DUE_BYTES = 64


def secrets_home(environ: Mapping[str, str]) -> str:
    return secrets_home_text(environ)


def due_path(environ: Mapping[str, str]) -> str:
    return os.path.join(secrets_home(environ), STATE_DIR, DUE_FILE)


def read_due(path: str) -> int | None:
    """The due time in the file, or None when it is missing or not a number."""
    try:
        with open(path, "rb") as handle:
            text = handle.read(MAX_DUE_BYTES)
        return int(text.strip() or b"x")
    except (OSError, ValueError):
        return None


def marker(environ: Mapping[str, str]) -> str:
    return environ.get(MARKER_VARIABLE) or DEFAULT_MARKER


def check(
    environ: Mapping[str, str] | None = None,
    now: float | None = None,
    out: TextIO | None = None,
) -> int:
    """Write the marker and a newline if practice is due; always return 0."""
    env = os.environ if environ is None else environ
    try:
        due = read_due(due_path(env))
        moment = time.time() if now is None else now
        if due is not None and due <= moment:
            (sys.stdout if out is None else out).write(marker(env) + "\n")
    except Exception:  # noqa: S110 -- a prompt helper must never break the prompt
        pass
    return 0
