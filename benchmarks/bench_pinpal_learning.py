"""Simulated learners of PINPal secrets, graded by a memory model that is not PINPal's.

The scheduler is PINPal's real engine (pinpal.learning.engine, pinpal.learning.memory).
The learners remember by another model, which the scheduler never sees:

* Memory is FSRS's (py-fsrs, its published default parameters): each token the
  learner must recall is an FSRS card. Its recall probability after t days is
  FSRS's power-law forgetting curve R = (1 + F t / S)^-decay, evaluated on the
  exact elapsed time (py-fsrs rounds to whole days, which would make every
  same-day recall certain); stability and difficulty follow py-fsrs's own
  updates, including its short-term (same-day) rule.
* The first sight of a token is an FSRS "Again" (a new item, not yet known).
  Copying a word still shown, or recalling it, is "Good"; failing to recall it
  is "Again" when PINPal then shows it, and changes nothing when PINPal cannot
  (a forgotten token: the learner is left to try again from memory).
* Learners differ: an ability factor (log-normal, sigma 0.4) scales FSRS's
  initial stabilities (w0-w3), its post-lapse stability (w11) and its recall
  growth (w8 += ln ability); each token gets its own difficulty (log-normal,
  sigma 0.3) on the initial stabilities. Parameters stay within py-fsrs's
  bounds.
* Practice happens only at a shell prompt: opportunities arrive at random
  (about every 40 minutes on average) between 08:00 and 23:00, and the learner
  practises at the first one after the secret is due. Up to 3 attempts per
  session, each an independent recall.

Two schedules run side by side over the same learners: PINPal's, and the
original PINPal's min(1 day, 90 s x 1.4^streak) (the same hide/forget
progression, only the due times differ). A third run gives every learner a
four-week break after day 45, to show what a long gap costs. The published
reference: Bonneau and Schechter (USENIX Security 2014) taught 94% of
participants a 56-bit code, after a median of 36 logins; 88% recalled it
after at least three days without practice.

Run: ``python benchmarks/bench_pinpal_learning.py [--learners N] [--json]``;
with ``--json`` the last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import attrs
from fsrs import Card, Rating, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from pinpal.learning import engine
from pinpal.learning.engine import Memorization, Stage
from pinpal.learning.entropy import Entropy
from pinpal.learning.kdf import ScryptParams, Verifier
from pinpal.learning.memory import DAY, HOUR
from pinpal.learning.secretgen import NewSecret, generate_digits, generate_words

CHEAP = ScryptParams(n=16, r=1, p=1)
WAKE, SLEEP = 8 * HOUR, 23 * HOUR
MEAN_GAP = 40 * 60
HORIZON_DAYS = 365
LEARN_WITHIN_DAYS = 30
BREAK_START_DAY, BREAK_DAYS = 45, 28
DECAY = DEFAULT_PARAMETERS[20]
FACTOR = 0.9 ** (1 / -DECAY) - 1

Schedule = Callable[[Memorization], float]


POLICY = engine.DEFAULT_POLICY


def pinpal_schedule(record: Memorization) -> float:
    return record.due_at(POLICY)


def original_schedule(record: Memorization) -> float:
    """The original PINPal's next practice: min(1 day, 90 s x 1.4^streak) after the last."""
    if record.last_review is None:
        return record.created
    return record.last_review + min(DAY, 90 * 1.4**record.streak)


def _bounded(parameters: list[float]) -> tuple[float, ...]:
    return tuple(
        min(high, max(low, value))
        for value, low, high in zip(
            parameters, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True
        )
    )


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@attrs.define
class Token:
    """One token as the learner holds it: an FSRS card under the learner's parameters."""

    scheduler: Scheduler
    card: Card
    seen: float | None = None

    def retrievability(self, now: float) -> float:
        if self.seen is None or self.card.stability is None:
            return 0.0
        days = max(0.0, now - self.seen) / DAY
        return float((1 + FACTOR * days / self.card.stability) ** -DECAY)

    def review(self, rating: Rating, now: float) -> None:
        self.card, _ = self.scheduler.review_card(self.card, rating, _moment(now))
        self.seen = now


def make_tokens(rng: random.Random, count: int) -> list[Token]:
    ability = math.exp(rng.gauss(0, 0.4))
    tokens = []
    for _ in range(count):
        ease = ability / math.exp(rng.gauss(0, 0.3))
        parameters = list(DEFAULT_PARAMETERS)
        for i in range(4):
            parameters[i] *= ease
        parameters[8] += math.log(ability)
        parameters[11] *= ability
        scheduler = Scheduler(parameters=_bounded(parameters), enable_fuzzing=False)
        tokens.append(Token(scheduler, Card()))
    return tokens


def next_opportunity(rng: random.Random, after: float, away: tuple[float, float]) -> float:
    moment = after
    while True:
        moment += rng.expovariate(1 / MEAN_GAP)
        if away[0] <= moment < away[1]:
            moment = away[1]
            continue
        clock = moment % DAY
        if WAKE <= clock < SLEEP:
            return moment
        # Asleep: the next chance is the next morning.
        moment += (DAY if clock >= SLEEP else 0) + WAKE - clock


@attrs.frozen
class Outcome:
    first_day_prompts: int
    practices_to_learned: int | None
    days_to_learned: float | None
    recall_day_90: float
    recall_day_365: float
    practices_month_3: int
    sessions: int
    streak_resets: int
    recall_after_break: float | None


def simulate(seed: int, secret_kind: str, schedule: Schedule, with_break: bool) -> Outcome:
    rng = random.Random(seed)  # noqa: S311 -- a simulation, not a secret
    entropy = Entropy(randbelow=rng.randrange, token_bytes=rng.randbytes)
    secret: NewSecret = (
        generate_digits(6, entropy) if secret_kind == "pin6" else generate_words(5, entropy)
    )
    start = 9 * HOUR
    record: Memorization = engine.start(
        secret, Verifier.make(secret.text.encode(), b"salt" * 4, CHEAP), start
    )
    # The learner holds each chunk PINPal introduces (a word, four digits) as
    # one memory.
    unit = [i // record.chunk for i in range(len(secret.tokens))]
    tokens = make_tokens(rng, unit[-1] + 1)
    away = (
        (start + BREAK_START_DAY * DAY, start + (BREAK_START_DAY + BREAK_DAYS) * DAY)
        if with_break
        else (0.0, 0.0)
    )
    checkpoints = {90: start + 90 * DAY + 3 * HOUR, 365: start + 365 * DAY + 3 * HOUR}
    recall: dict[int, float] = {}
    now, sessions, first_day, month_3, resets = start, 0, 0, 0, 0
    learned_after: int | None = None
    learned_at: float | None = None
    after_break: float | None = None
    end = start + HORIZON_DAYS * DAY + 4 * HOUR

    def whole(moment: float) -> float:
        return math.prod(t.retrievability(moment) for t in tokens)

    while True:
        now = next_opportunity(rng, max(now, schedule(record)) - 1, away)
        for day, moment in checkpoints.items():
            if day not in recall and now >= moment:
                recall[day] = whole(moment)
        if now >= end:
            break
        if with_break and after_break is None and now >= away[1]:
            after_break = whole(now)
        sessions += 1
        first_day += now < (start // DAY + 1) * DAY
        for _attempt in range(3):
            recalled = [
                tokens[u].seen is None or rng.random() < tokens[u].retrievability(now)
                for u in range(len(tokens))
            ]
            typed = [
                secret.tokens[i] if p.stage is Stage.SHOWN or recalled[unit[i]] else "zz"
                for i, p in enumerate(record.positions)
            ]
            result = engine.review(record, secret.separator.join(typed), now, POLICY)
            resets += result.streak_reset
            if start + 60 * DAY <= now < start + 90 * DAY:
                month_3 += 1
            for u, token in enumerate(tokens):
                members = [p for i, p in enumerate(record.positions) if unit[i] == u]
                if all(p.stage is Stage.SHOWN for p in members) or recalled[u]:
                    token.review(Rating.Again if token.seen is None else Rating.Good, now)
                elif all(p.token is not None for p in members):
                    token.review(Rating.Again, now)
            record = result.record
            if result.correct:
                break
        if record.learned and learned_at is None:
            learned_at, learned_after = now, record.practices
    return Outcome(
        first_day_prompts=first_day,
        practices_to_learned=learned_after,
        days_to_learned=None if learned_at is None else (learned_at - start) / DAY,
        recall_day_90=recall.get(90, 0.0),
        recall_day_365=recall.get(365, 0.0),
        practices_month_3=month_3,
        sessions=sessions,
        streak_resets=resets,
        recall_after_break=after_break,
    )


def summarise(outcomes: list[Outcome]) -> dict[str, float]:
    learned = [o for o in outcomes if o.practices_to_learned is not None]
    within = [o for o in learned if (o.days_to_learned or 0) <= LEARN_WITHIN_DAYS]

    def median(values: list[float]) -> float:
        return float(statistics.median(values)) if values else math.nan

    breaks = [o.recall_after_break for o in outcomes if o.recall_after_break is not None]
    figures = {
        "learned_within_30_days": len(within) / len(outcomes),
        "first_day_prompts_median": median([o.first_day_prompts for o in outcomes]),
        "practices_to_learned_median": median(
            [float(o.practices_to_learned or 0) for o in learned]
        ),
        "days_to_learned_median": median([o.days_to_learned or 0.0 for o in learned]),
        "recall_day_90": statistics.mean(o.recall_day_90 for o in outcomes),
        "recall_day_365": statistics.mean(o.recall_day_365 for o in outcomes),
        "practices_per_month_after_learning_month_3": median(
            [o.practices_month_3 for o in learned]
        ),
        "sessions_in_a_year_median": median([o.sessions for o in outcomes]),
        "streak_resets_mean": statistics.mean(o.streak_resets for o in outcomes),
    }
    if breaks:
        figures["recall_after_break"] = statistics.mean(breaks)
    return figures


REFERENCE = {
    "learned": 0.94,
    "logins_median": 36,
    "recall_after_3_days": 0.88,
    "bits": 56,
}


def run(learners: int) -> dict[str, dict[str, float]]:
    runs = {
        "pinpal": ("words5", pinpal_schedule, False),
        "pinpal_pin6": ("pin6", pinpal_schedule, False),
        "pinpal_break": ("words5", pinpal_schedule, True),
        "original": ("words5", original_schedule, False),
        "original_pin6": ("pin6", original_schedule, False),
    }
    return {
        name: summarise([simulate(seed, kind, schedule, brk) for seed in range(learners)])
        for name, (kind, schedule, brk) in runs.items()
    }


def report(figures: dict[str, dict[str, float]], learners: int) -> list[str]:
    ours, original, gap = figures["pinpal"], figures["original"], figures["pinpal_break"]
    rows = [
        ("learned (only the hash kept) within 30 days", "learned_within_30_days", "{:.0%}"),
        ("prompts on the first day, median", "first_day_prompts_median", "{:.0f}"),
        ("practices to learned, median", "practices_to_learned_median", "{:.0f}"),
        ("days to learned, median", "days_to_learned_median", "{:.1f}"),
        ("recall of the whole secret on day 90", "recall_day_90", "{:.0%}"),
        ("recall of the whole secret on day 365", "recall_day_365", "{:.0%}"),
        ("practices in month 3, median", "practices_per_month_after_learning_month_3", "{:.0f}"),
        ("sessions in a year, median", "sessions_in_a_year_median", "{:.0f}"),
    ]
    reference = {
        "learned_within_30_days": "94% (56 bits)",
        "practices_to_learned_median": "36 logins",
        "recall_day_90": "88% after >= 3 days",
    }
    out = [
        f"{learners} simulated learners (FSRS memory, default parameters, per-learner variation),",
        "5 EFF words (64.6 bits), practising when prompted:",
        f"  {'':46} {'PINPal':>8} {'original':>9}  Bonneau & Schechter 2014",
    ]
    for title, key, style in rows:
        out.append(
            f"  {title:46} {style.format(ours[key]):>8} {style.format(original[key]):>9}"
            f"  {reference.get(key, '')}"
        )
    pin, pin_original = figures["pinpal_pin6"], figures["original_pin6"]
    out.append(
        f"  {'6-digit PIN, practices to learned, median':46}"
        f" {pin['practices_to_learned_median']:>8.0f}"
        f" {pin_original['practices_to_learned_median']:>9.0f}"
        f"  ({pin['practices_to_learned_median'] / ours['practices_to_learned_median']:.0%}"
        " of the passphrase's, PINPal)"
    )
    out.append(
        f"  a {BREAK_DAYS}-day break from day {BREAK_START_DAY}: recall on return "
        f"{gap['recall_after_break']:.0%}, streak restarts {gap['streak_resets_mean']:.1f} per "
        f"learner, sessions in a year {gap['sessions_in_a_year_median']:.0f} "
        f"(vs {ours['sessions_in_a_year_median']:.0f}), recall on day 365 "
        f"{gap['recall_day_365']:.0%}"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    options = parser.parse_args(argv)
    if options.learners < 1:
        parser.error("--learners must be at least 1")
    figures = run(options.learners)
    for line in report(figures, options.learners):
        print(line)
    if options.json:
        summary: dict[str, object] = dict(figures["pinpal"])
        summary["pin6_practices_to_learned_median"] = figures["pinpal_pin6"][
            "practices_to_learned_median"
        ]
        summary["learners"] = options.learners
        summary["original"] = figures["original"]
        summary["original_pin6_practices_to_learned_median"] = figures["original_pin6"][
            "practices_to_learned_median"
        ]
        summary["break"] = figures["pinpal_break"]
        summary["reference_bonneau_schechter_2014"] = REFERENCE
        print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
