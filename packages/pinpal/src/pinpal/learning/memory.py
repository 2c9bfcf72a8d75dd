"""The memory model that schedules practice.

Each token the learner must recall (hidden or forgotten) has a *stability* S,
in seconds. Its recall probability decays exponentially with the time t since
the last practice::

    R(t) = exp(-t / S)

Tokens are assumed independent, so the whole secret is recalled with
probability ``prod R_i = exp(-t * sum(1 / S_i))``. The next practice is
scheduled when that falls to the retention target (0.9, FSRS's default)::

    interval = -ln(target) / sum(1 / S_i)

A correct recall multiplies S by a growth factor that is larger the more the
whole secret had decayed (the spacing effect, measured on the recall the
learner actually made: about 1.5x when recalled right at the target, hardly
anything when recalled again a minute later)::

    S' = S * (1 + GAIN * (1 - R) / (1 - target))       (capped at MAX_GROWTH)

R being the whole secret's recall probability at that moment. A chunk of
tokens introduced together (four digits) counts as one memory.

A wrong recall divides it (``S' = max(MIN, S * LAPSE)``) and the secret is
due again at once. This is the same family as FSRS (stability grows with each
successful recall, more so when recall was hard) with fewer parameters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import attrs

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


@attrs.frozen
class MemoryModel:
    target: float = 0.9
    initial: float = 8 * HOUR
    gain: float = 0.5
    max_growth: float = 4.0
    lapse: float = 0.3
    minimum: float = 10 * MINUTE
    # Same-day practice adds little to memory (FSRS's short-term rule): at
    # most about six prompts on the first day.
    min_interval: float = 2 * HOUR

    def retrievability(self, stability: float, elapsed: float) -> float:
        return math.exp(-max(elapsed, 0.0) / stability)

    def after_success(self, stability: float, recalled_at: float) -> float:
        """The stability after a right answer given when recall was ``recalled_at`` likely."""
        decayed = 1.0 - recalled_at
        growth = 1.0 + self.gain * decayed / (1.0 - self.target)
        return stability * min(growth, self.max_growth)

    def after_failure(self, stability: float) -> float:
        return max(self.minimum, stability * self.lapse)

    def interval(self, stabilities: Iterable[float]) -> float:
        """Seconds until the whole secret's recall probability falls to the target."""
        rate = sum(1.0 / s for s in stabilities)
        if rate <= 0.0:
            return 0.0
        return max(self.min_interval, -math.log(self.target) / rate)

    def recall_probability(self, stabilities: Iterable[float], elapsed: float) -> float:
        return math.exp(-max(elapsed, 0.0) * sum(1.0 / s for s in stabilities))


DEFAULT_MODEL = MemoryModel()
