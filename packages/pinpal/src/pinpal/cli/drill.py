"""A practice session: prompts through an injected console, grading by the service."""

from __future__ import annotations

from typing import Protocol

import attrs

from pinpal.cli.wording import plural, unit, when
from pinpal.learning.engine import Memorization, Review
from pinpal.service import Due, Pinpal
from pinpal.storage.codec import CURRENT
from secrets_common.cli.invocation import command


class Console(Protocol):
    def say(self, text: str) -> None: ...

    def ask_secret(self, prompt: str) -> str:
        """Read one line without echo."""
        ...


@attrs.frozen
class Summary:
    practised: int = 0
    correct: int = 0
    learned: tuple[str, ...] = ()


def practise(service: Pinpal, due: Due, console: Console) -> tuple[bool, bool]:
    """Up to ``max_attempts`` tries at one secret; returns (correct, just learned)."""
    name = (
        due.label if due.role == CURRENT else f"{due.label} (old secret, until the new is learned)"
    )
    record = due.record
    for attempt in range(1, service.policy.max_attempts + 1):
        console.say(f"{name}: {record.hint()}")
        answer = console.ask_secret(f"{name}> ")
        if not answer.strip():
            # An accidental Enter: no try used, no lapse.
            console.say(f"skipped {name!r}; it stays due.")
            return False, False
        review, retired = service.answer(due.label, due.role, answer)
        record = review.record
        if review.correct:
            console.say("right.")
            _report_progress(review, record, console)
            if retired:
                console.say(f"the old secret of {due.label!r} is retired: use the new one now.")
            console.say(f"{name}: {standing(record, service.clock())}")
            return True, review.just_learned
        console.say(_miss(review, record))
        if attempt == service.policy.max_attempts:
            console.say(f"no more tries at {name!r} this time; it comes back soon.")
            if record.learned:
                console.say(
                    f"PINPal cannot show a learned secret. If it is lost, "
                    f"`{command('pinpal', 'rotate', due.label)}` starts a new one."
                )
    console.say(f"{name}: {standing(record, service.clock())}")
    return False, False


def _report_progress(review: Review, record: Memorization, console: Console) -> None:
    word = unit(record)
    if review.streak_reset:
        console.say("it had been a long while: the streak starts again.")
    if review.newly_hidden:
        count = len(review.newly_hidden)
        words = f"{word} is" if count == 1 else f"{word}s are"
        hidden, forgotten, _ = record.progress
        # "more" only when something was hidden before this answer.
        more = " more" if hidden + forgotten > count + len(review.newly_forgotten) else ""
        console.say(f"from now on {count}{more} {words} hidden (°).")
    if review.newly_forgotten:
        console.say(
            f"PINPal has now forgotten {plural(len(review.newly_forgotten), word)} (•): "
            "only you know it."
        )
    if review.just_learned:
        console.say("learned! PINPal keeps only a slow hash of it now.")


def _miss(review: Review, record: Memorization) -> str:
    word = unit(record)
    if record.learned:
        size = plural(len(record.positions), word)
        return f"not quite. PINPal keeps none of its {size}, only a hash: recall it and try again."
    if review.wrong_length:
        return f"not quite: it has {plural(len(record.positions), word)}. It is: {record.reveal()}"
    if review.wrong_gaps:
        return (
            f"not quite: every {word} is right, but not the spaces or dashes around them "
            f"(they count, as typed). It is: {record.reveal()}"
        )
    if review.error_among_forgotten:
        return f"not quite: every stored {word} is right, so a forgotten one (•) is wrong."
    places = ", ".join(str(i + 1) for i in review.wrong_positions)
    return f"not quite ({word} {places}). It is: {record.reveal()}"


def standing(record: Memorization, now: float) -> str:
    """Where a secret stands, e.g. "next practice in 2 days · 3 of 5 words hidden, 1 forgotten"."""
    hidden, forgotten, total = record.progress
    upcoming = when(record.due_at(), now)
    if record.learned:
        state = f"learned, {plural(total, unit(record))} known only to you"
    else:
        state = f"{hidden} of {plural(total, unit(record))} hidden, {forgotten} forgotten"
    return f"next practice {upcoming} · {state}"


def drill(service: Pinpal, console: Console, only: str | None = None) -> Summary:
    """Practise every due secret (or only ``only``, which must exist)."""
    if only is not None:
        service.entry(only)
    due = [d for d in service.due() if only is None or d.label == only]
    if not due:
        return Summary()
    correct = 0
    learned: list[str] = []
    for item in due:
        right, just_learned = practise(service, item, console)
        correct += right
        if just_learned:
            learned.append(item.label)
    return Summary(len(due), correct, tuple(learned))
