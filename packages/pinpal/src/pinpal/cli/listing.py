"""``pinpal list``: one row per memorization, for people or as JSON."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pinpal.cli.wording import describe, unit, when
from pinpal.learning.engine import Memorization
from pinpal.service import Pinpal
from pinpal.storage.codec import CURRENT
from secrets_common.cli import plainjson
from secrets_common.cli.invocation import command

if TYPE_CHECKING:
    from pinpal.cli.drill import Console


def no_secrets() -> str:
    """What ``list`` and ``drill`` say before there is anything to practise."""
    return f"no secrets yet: `{command('pinpal', 'new')} LABEL` starts one."


def row(label: str, role: str, record: Memorization, pinpal: Pinpal, now: float) -> dict[str, Any]:
    hidden, forgotten, total = record.progress
    due = record.due_at(pinpal.policy)
    return {
        "label": label,
        "role": role,
        "kind": record.kind.value,
        "unit": unit(record),
        "length": total,
        "bits": None if record.bits is None else round(record.bits, 1),
        "hidden": hidden,
        "forgotten": forgotten,
        "learned": record.learned,
        "practices": record.practices,
        "streak": record.streak,
        "success_rate": None if record.success_rate is None else round(record.success_rate, 3),
        "last_practices": [math.floor(moment) for moment in record.history],
        "due": math.ceil(due),
        "due_now": due <= now,
        "description": describe(record),
    }


def rows(pinpal: Pinpal, now: float) -> list[dict[str, Any]]:
    return [
        row(entry.label, role, record, pinpal, now)
        for entry in pinpal.entries()
        for role, record in entry.records()
    ]


def line(item: dict[str, Any], now: float) -> str:
    name = item["label"] if item["role"] == CURRENT else f"{item['label']} (old)"
    # The row's due time is rounded up; `due_now` was decided on the exact one.
    upcoming = "now" if item["due_now"] else when(item["due"], now)
    return f"{name}: {item['description']}; next practice {upcoming}"


def lines(found: list[dict[str, Any]], now: float) -> list[str]:
    return [line(item, now) for item in found] if found else [no_secrets()]


def show(pinpal: Pinpal, now: float, console: Console, as_json: bool) -> None:
    """The body of ``pinpal list [--json]``, with or without typer."""
    found = rows(pinpal, now)
    pinpal.refresh_due()
    console.say(plainjson.dumps(found, indent=2) if as_json else "\n".join(lines(found, now)))
