"""Deciding whether to remind, and what the notification says (labels, never secrets)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from pinpal.cli.quickcheck import DUE_FILE, read_due
from pinpal.remind.notify import NotificationUnavailable
from pinpal.remind.quiet import QUIET_VARIABLE, BadQuietHours, parse_quiet_hours
from pinpal.storage.duefile import LABELS_FILE, read_due_labels
from secrets_common.cli.invocation import command


def due_labels(directory: Path, now: float) -> list[str] | None:
    """The labels due at ``now``; [] when none is; None when due but unnamed.

    None: the label file is missing or damaged while the due file says
    practice is due (state written before the label file existed).
    """
    times = read_due_labels(directory / LABELS_FILE)
    if times is not None:
        return sorted(label for label, due in times.items() if due <= now)
    due = read_due(str(directory / DUE_FILE))
    return None if due is not None and due <= now else []


def message(labels: list[str] | None) -> tuple[str, str]:
    """The notification's summary and body."""
    practise = f"Run `{command('pinpal')}` to practise."
    if not labels:
        return "Practice is due", practise
    if len(labels) == 1:
        return f"Practice is due: {labels[0]}", practise
    return f"Practice is due for {len(labels)} secrets", f"{', '.join(labels)}. {practise}"


def remind(
    directory: Path,
    now: float,
    environ: Mapping[str, str],
    post: Callable[[str, str], None],
    err: TextIO | None = None,
) -> int:
    """Post one notification when practice is due and it is not quiet; always 0."""
    errors = sys.stderr if err is None else err
    try:
        quiet = parse_quiet_hours(environ.get(QUIET_VARIABLE))
    except BadQuietHours as problem:
        errors.write(f"pinpal remind: {problem}; no reminder shown\n")
        return 0
    labels = due_labels(directory, now)
    if labels == [] or (quiet is not None and quiet.covers(now)):
        return 0
    try:
        post(*message(labels))
    except NotificationUnavailable as problem:
        errors.write(f"pinpal remind: no reminder shown: {problem}\n")
    return 0
