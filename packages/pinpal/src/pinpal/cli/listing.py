"""``pinpal list``: one row per memorization, for people or as JSON.

A row is a summary (what the listing file keeps, :mod:`pinpal.storage.listingfile`)
seen at a moment: the fast ``pinpal list`` builds the same rows from that file
with this module alone, so nothing here imports the engine or the vault.
"""

from __future__ import annotations

import math

from pinpal.cli.wording import phrase, unit, when
from secrets_common.cli import plainjson
from secrets_common.cli.invocation import command

TYPE_CHECKING = False  # typing costs the fast path more than this whole module
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from pinpal.cli.drill import Console
    from pinpal.learning.engine import Memorization, Policy
    from pinpal.service import Pinpal
    from pinpal.storage.codec import LabelEntry

# pinpal.storage.codec.CURRENT, which costs the fast path the engine to import.
CURRENT = "current"


def no_secrets() -> str:
    """What ``list`` and ``drill`` say before there is anything to practise."""
    return f"no secrets yet: `{command('pinpal', 'new')} LABEL` starts one."


def summary(label: str, role: str, record: Memorization, policy: Policy) -> dict[str, Any]:
    """What the listing file keeps of one memorization: the same at any moment."""
    hidden, forgotten, total = record.progress
    return {
        "label": label,
        "role": role,
        "kind": record.kind.value,
        "unit": unit(record),
        "length": total,
        "bits": record.bits,
        "hidden": hidden,
        "forgotten": forgotten,
        "learned": record.learned,
        "practices": record.practices,
        "streak": record.streak,
        "success_rate": record.success_rate,
        "last_practices": [math.floor(moment) for moment in record.history],
        "due_at": record.due_at(policy),
    }


def summaries(entries: Sequence[LabelEntry], policy: Policy) -> list[dict[str, Any]]:
    return [
        summary(entry.label, role, record, policy)
        for entry in entries
        for role, record in entry.records()
    ]


def row(found: dict[str, Any], now: float) -> dict[str, Any]:
    """A summary as ``list --json`` shows it at ``now``."""
    due = found["due_at"]
    bits, rate = found["bits"], found["success_rate"]
    return {
        **{name: found[name] for name in ("label", "role", "kind", "unit", "length")},
        "bits": None if bits is None else round(bits, 1),
        **{name: found[name] for name in ("hidden", "forgotten", "learned", "practices")},
        "streak": found["streak"],
        "success_rate": None if rate is None else round(rate, 3),
        "last_practices": found["last_practices"],
        "due": math.ceil(due),
        "due_now": due <= now,
        "description": phrase(
            found["length"],
            found["unit"],
            bits,
            found["learned"],
            found["hidden"],
            found["forgotten"],
        ),
    }


def line(item: dict[str, Any], now: float) -> str:
    name = item["label"] if item["role"] == CURRENT else f"{item['label']} (old)"
    # The row's due time is rounded up; `due_now` was decided on the exact one.
    upcoming = "now" if item["due_now"] else when(item["due"], now)
    return f"{name}: {item['description']}; next practice {upcoming}"


def lines(found: list[dict[str, Any]], now: float) -> list[str]:
    return [line(item, now) for item in found] if found else [no_secrets()]


def render(found: list[dict[str, Any]], now: float, as_json: bool) -> str:
    """The output of ``list`` for these summaries at ``now``."""
    rows = [row(item, now) for item in found]
    return plainjson.dumps(rows, indent=2) if as_json else "\n".join(lines(rows, now))


def show(pinpal: Pinpal, now: float, console: Console, as_json: bool) -> None:
    """The body of ``pinpal list [--json]`` from the vault (which renews the listing)."""
    found = summaries(pinpal.entries(), pinpal.policy)
    pinpal.refresh_due()
    pinpal.settle()  # a re-key that a killed command left owed
    console.say(render(found, now, as_json))


def show_listed(say: Callable[[str], None], now: float, as_json: bool) -> bool:
    """``list`` from the listing file alone; False when it cannot stand for the vault."""
    import os

    from pinpal.cli.quickcheck import STATE_DIR, secrets_home
    from pinpal.storage.listingfile import read_listing

    # As pinpal.storage.duefile.state_dir says, without pathlib's import.
    found = read_listing(os.path.join(secrets_home(os.environ), STATE_DIR))
    if found is None:
        return False
    say(render(found, now, as_json))
    return True
