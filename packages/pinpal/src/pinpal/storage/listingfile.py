"""The listing file: what ``pinpal list`` shows, so that listing opens no vault.

Opening the vault means asking the keyring (a touch, where TokenRing is the
backend) and importing it, which alone costs more than the rest of ``list``.
So each command that reads or changes the records also writes, 0600 and
atomically, one summary per memorization: its label, kind, unit, length,
entropy estimate, progress, practice times and next due time. Never the
secret, its hints, tokens or hash: what the strength figures already assume
an attacker knows (kind and length), and the progress PINPal shows anyone
at the terminal.

It is a cache of the vault, and counts only while the vault file is the very
file it was written from: same inode, modification time and size (every vault
write replaces the file). Anything else (no vault, another vault, a damaged
or foreign listing) makes ``list`` open the vault, which writes it anew.
Standard library only: the fast ``pinpal list`` imports this and no more.
"""

from __future__ import annotations

import json
import math
import os

from pinpal.storage.names import LISTING_FILE, VAULT_FILE

TYPE_CHECKING = False  # typing (and pathlib) cost the fast path more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Directory = str | os.PathLike[str]

FORMAT = 1
MAX_BYTES = 1 << 22


def file_generation(path: Directory) -> tuple[int, int, int] | None:
    """(inode, mtime in ns, size) of ``path``: new whenever the vault is rewritten."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


def _number(value: object) -> bool:
    return type(value) is int or (type(value) is float and math.isfinite(value))


def _optional_number(value: object) -> bool:
    return value is None or _number(value)


def _text(value: object) -> bool:
    return type(value) is str


def _counts(value: object) -> bool:
    return type(value) is list and all(_count(item) for item in value)


# Each summary's fields, in the order `list --json` shows them.
FIELDS: dict[str, Callable[[object], bool]] = {
    "label": _text,
    "role": _text,
    "kind": _text,
    "unit": _text,
    "length": _count,
    "bits": _optional_number,
    "hidden": _count,
    "forgotten": _count,
    "learned": lambda value: type(value) is bool,
    "practices": _count,
    "streak": _count,
    "success_rate": _optional_number,
    "last_practices": _counts,
    "due_at": _number,
}


def write_listing(
    directory: Directory,
    generation: tuple[int, int, int] | None,
    summaries: list[dict[str, Any]],
) -> None:
    """Record ``summaries`` as those of the vault file at ``generation`` (None: no vault)."""
    from pathlib import Path

    from pinpal.storage.privatefile import write_private

    target = Path(directory) / LISTING_FILE
    if generation is None:
        # exists() is also False when the state directory is not a directory.
        if target.exists():
            target.unlink()
        return
    text = json.dumps(
        {"format": FORMAT, "vault": list(generation), "summaries": summaries},
        ensure_ascii=False,
    )
    try:
        with open(target, encoding="utf-8") as handle:
            if handle.read(MAX_BYTES) == text + "\n":
                return
    except (OSError, UnicodeDecodeError):
        pass
    write_private(target, text + "\n")


def read_listing(directory: Directory) -> list[dict[str, Any]] | None:
    """The summaries, if the listing is sound and was written from the vault as it is now."""
    generation = file_generation(os.path.join(directory, VAULT_FILE))
    if generation is None:
        return None
    try:
        with open(os.path.join(directory, LISTING_FILE), "rb") as handle:
            data = json.loads(handle.read(MAX_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return None
    if type(data) is not dict or data.get("format") != FORMAT:
        return None
    if data.get("vault") != list(generation):
        return None
    summaries = data.get("summaries")
    if type(summaries) is not list:
        return None
    for summary in summaries:
        if type(summary) is not dict or list(summary) != list(FIELDS):
            return None
        if not all(check(summary[name]) for name, check in FIELDS.items()):
            return None
    return summaries
