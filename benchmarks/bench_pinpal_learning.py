"""Simulated learners of a 5-word PINPal secret: practices to learned, retention at 30 days.

The scheduler is PINPal's real engine (pinpal.learning.engine, pinpal.learning.memory). The
learners are simulated under this stated model, which the scheduler does not
see:

* Memory: each word the learner must recall has a true stability T (seconds)
  and is recalled with probability exp(-t / T), t being the time since the
  learner last saw or recalled it (exponential forgetting, as in the
  scheduler). Words still shown on the prompt are copied without error.
* Learners differ: an ability factor drawn from a log-normal (sigma 0.4)
  scales the initial stability and the growth; each word gets its own
  difficulty (log-normal, sigma 0.3). Initial T = 4 h x ability / difficulty.
* A successful recall multiplies T by 1 + 0.9 x ability x (1 - R) / 0.1
  (capped at 4x): the spacing effect, a little weaker than the scheduler
  assumes. A failed recall divides T by 3; when PINPal reveals a stored word
  after a miss, the learner sees it again (its clock restarts).
* Practice happens only when the learner is at a shell prompt: opportunities
  arrive at random (about every 40 minutes on average) between 08:00 and
  23:00, and the learner practises at the first one after the secret is due.
  Up to 3 attempts per session, each an independent recall.

Reported, for 5 words (64.6 bits): median practices and days until PINPal
holds only the hash, how many learned within 30 days, and the chance that
the learner still recalls the whole secret on day 30 (a) having practised
whenever prompted and (b) having stopped practising once it was learned.
The published reference: Bonneau and Schechter (USENIX Security 2014)
taught 94% of participants a 56-bit secret after a median of 36 practices
spread over about ten days.

Run: ``/work/.venv/bin/python benchmarks/bench_pinpal_learning.py [learners]``
"""

from __future__ import annotations

import math
import random
import statistics
import sys

import attrs

from pinpal.learning import engine
from pinpal.learning.engine import Memorization, Stage
from pinpal.learning.entropy import Entropy
from pinpal.learning.kdf import ScryptParams, Verifier
from pinpal.learning.memory import DAY, HOUR
from pinpal.learning.secretgen import generate_words

WORDS = 5
DAYS = 30
CHEAP = ScryptParams(n=16, r=1, p=1)
WAKE, SLEEP = 8 * HOUR, 23 * HOUR
MEAN_GAP = 40 * 60


@attrs.define
class Learner:
    rng: random.Random
    ability: float
    difficulty: list[float]
    stability: list[float]
    seen: list[float]

    def recall(self, i: int, now: float) -> bool:
        if self.stability[i] <= 0:
            return False
        return self.rng.random() < math.exp(-(now - self.seen[i]) / self.stability[i])

    def strengthen(self, i: int, now: float) -> None:
        if self.stability[i] <= 0:
            self.stability[i] = 4 * HOUR * self.ability / self.difficulty[i]
        else:
            r = math.exp(-(now - self.seen[i]) / self.stability[i])
            growth = min(4.0, 1 + 0.9 * self.ability * (1 - r) / 0.1)
            self.stability[i] *= growth
        self.seen[i] = now

    def weaken(self, i: int, now: float, revealed: bool) -> None:
        self.stability[i] = max(10 * 60, self.stability[i] / 3)
        if revealed:
            self.seen[i] = now

    def whole_recall_probability(self, now: float) -> float:
        return math.prod(
            math.exp(-(now - s) / t) if t > 0 else 0.0
            for s, t in zip(self.seen, self.stability, strict=True)
        )


def next_opportunity(rng: random.Random, after: float) -> float:
    moment = after
    while True:
        moment += rng.expovariate(1 / MEAN_GAP)
        clock = moment % DAY
        if WAKE <= clock < SLEEP:
            return moment
        # Asleep: the next chance is the next morning.
        moment += (DAY if clock >= SLEEP else 0) + WAKE - clock


def simulate(seed: int) -> dict[str, float | None]:
    rng = random.Random(seed)  # noqa: S311 -- a simulation, not a secret
    entropy = Entropy(randbelow=rng.randrange, token_bytes=rng.randbytes)
    secret = generate_words(WORDS, entropy)
    start = 9 * HOUR
    record: Memorization = engine.start(
        secret, Verifier.make(secret.text.encode(), b"salt" * 4, CHEAP), start
    )
    learner = Learner(
        rng,
        ability=math.exp(rng.gauss(0, 0.4)),
        difficulty=[math.exp(rng.gauss(0, 0.3)) for _ in range(WORDS)],
        stability=[0.0] * WORDS,
        seen=[start] * WORDS,
    )
    now, practices = start, 0
    learned_at: float | None = None
    learned_after: int | None = None
    unlearned_retention: float | None = None
    end = start + DAYS * DAY
    while True:
        now = next_opportunity(rng, max(now, record.due_at()) - 1)
        if now >= end:
            break
        for _attempt in range(3):
            typed = []
            for i, position in enumerate(record.positions):
                if position.stage is Stage.SHOWN or learner.recall(i, now):
                    typed.append(secret.tokens[i])
                else:
                    typed.append("zzz")
            result = engine.review(record, " ".join(typed), now)
            practices += 1
            for i, position in enumerate(record.positions):
                if position.stage is Stage.SHOWN:
                    # Copying a shown word is a first exposure, then a recall.
                    learner.strengthen(i, now)
                elif typed[i] == secret.tokens[i]:
                    learner.strengthen(i, now)
                else:
                    learner.weaken(i, now, revealed=position.token is not None)
            record = result.record
            if result.correct:
                break
        if record.learned and learned_at is None:
            learned_at, learned_after = now, practices
            # (b) no more practice from here: recall chance at day 30.
            unlearned_retention = learner.whole_recall_probability(end)
    return {
        "practices": learned_after,
        "days": None if learned_at is None else (learned_at - start) / DAY,
        "maintained": learner.whole_recall_probability(end),
        "abandoned": unlearned_retention,
        "total_practices": practices,
    }


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    results = [simulate(seed) for seed in range(count)]
    learned = [r for r in results if r["practices"] is not None]
    practices = sorted(float(r["practices"] or 0) for r in learned)
    days = sorted(float(r["days"] or 0) for r in learned)

    def quartiles(values: list[float]) -> str:
        q = statistics.quantiles(values, n=4)
        return f"median {statistics.median(values):.1f} (quartiles {q[0]:.1f}-{q[2]:.1f})"

    maintained = statistics.mean(float(r["maintained"] or 0) for r in results)
    abandoned = statistics.mean(float(r["abandoned"] or 0) for r in learned)
    total = statistics.median(float(r["total_practices"] or 0) for r in results)
    print(f"{count} simulated learners, {WORDS} EFF words ({WORDS * math.log2(7776):.1f} bits):")
    print(f"  learned (only the hash kept) within {DAYS} days: {len(learned) / count:.0%}")
    if learned:
        print(f"  practices to learned: {quartiles(practices)}")
        print(f"  days to learned:      {quartiles(days)}")
    print(f"  practices in {DAYS} days, in all: median {total:.0f}")
    print(f"  recall of the whole secret on day {DAYS}, practising when prompted: {maintained:.0%}")
    print(f"  recall on day {DAYS} if practice stopped once learned: {abandoned:.0%}")
    print("  reference (Bonneau & Schechter 2014): 56 bits, 94% learned,")
    print("    median 36 practices over about 10 days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
