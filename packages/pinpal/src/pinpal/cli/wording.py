"""How a memorization is described to the user: its unit, size, strength, progress."""

from __future__ import annotations

from pinpal.learning.engine import Memorization
from pinpal.learning.secretgen import Kind


def unit(record: Memorization) -> str:
    if record.kind is Kind.WORDS or (record.kind is Kind.EXISTING and record.separator == " "):
        return "word"
    if record.kind is Kind.DIGITS:
        return "digit"
    return "part" if record.separator else "character"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def describe(record: Memorization) -> str:
    hidden, forgotten, total = record.progress
    size = plural(total, unit(record))
    strength = "" if record.bits is None else f", {record.bits:.1f} bits"
    if record.learned:
        return f"{size}{strength}, learned"
    return f"{size}{strength}, {hidden} hidden, {forgotten} forgotten"


def when(moment: float, now: float) -> str:
    """``now`` or ``in 3 hours``: when a practice comes, as a prompt would say it."""
    delta = moment - now
    if delta <= 0:
        return "now"
    for size, name in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if delta >= size:
            return f"in {plural(round(delta / size), name)}"
    return "in under a minute"
