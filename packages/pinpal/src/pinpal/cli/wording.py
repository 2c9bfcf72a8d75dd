"""How a memorization is described to the user: its unit, size, strength, progress."""

from __future__ import annotations

TYPE_CHECKING = False  # the fast `pinpal list` words its rows with this module alone
if TYPE_CHECKING:
    from pinpal.learning.engine import Memorization


def unit(record: Memorization) -> str:
    from pinpal.learning.secretgen import Kind

    if record.kind is Kind.WORDS or (record.kind is Kind.EXISTING and record.separator == " "):
        return "word"
    if record.kind is Kind.DIGITS:
        return "digit"
    return "part" if record.separator else "character"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def describe(record: Memorization) -> str:
    hidden, forgotten, total = record.progress
    return phrase(total, unit(record), record.bits, record.learned, hidden, forgotten)


def phrase(
    length: int, unit: str, bits: float | None, learned: bool, hidden: int, forgotten: int
) -> str:
    """``6 digits, 19.9 bits, 2 hidden, 0 forgotten``: a memorization's size and progress."""
    size = plural(length, unit)
    strength = "" if bits is None else f", {bits:.1f} bits"
    if learned:
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
