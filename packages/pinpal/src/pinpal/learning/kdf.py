"""The slow hash that is all PINPal keeps of a learned secret.

scrypt (RFC 7914) from the standard library. Its cost is calibrated once per
machine so that one check takes about 100 ms: slow enough to make guessing a
stolen hash expensive, fast enough not to be noticed at a prompt.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import TypeGuard

import attrs

from secrets_common.errors import SecretsError

HASH_LENGTH = 32
SALT_LENGTH = 16
TARGET_SECONDS = 0.1
# Never below the interactive-login recommendation of the scrypt paper, never
# beyond a memory bill (1 GiB) a laptop would notice.
MIN_LOG2_N = 14
MAX_LOG2_N = 20
MAX_MEMORY = 2 << 30
MAX_R = 64
MAX_P = 16


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise TypeError(f"{attribute.name} must be a positive int, not {value!r}")


@attrs.frozen
class ScryptParams:
    n: int = attrs.field(validator=_positive)
    r: int = attrs.field(default=8, validator=_positive)
    p: int = attrs.field(default=1, validator=_positive)

    @property
    def maxmem(self) -> int:
        # OpenSSL refuses unless maxmem covers 128*r*n plus the p lanes, with slack.
        return 128 * self.r * (self.n + self.p + 2) + 1024 * 1024

    def to_json(self) -> dict[str, int]:
        return {"n": self.n, "r": self.r, "p": self.p}

    @classmethod
    def from_json(cls, data: object) -> ScryptParams:
        if not isinstance(data, dict):
            raise ValueError("scrypt parameters must be an object")
        n, r, p = data.get("n"), data.get("r", 8), data.get("p", 1)
        if not (_is_int(n) and _is_int(r) and _is_int(p)):
            raise ValueError("scrypt parameters must be integers")
        if n < 2 or n & (n - 1):
            raise ValueError(f"scrypt n must be a power of two, not {n}")
        # Read from storage: a damaged or hostile record must not make a
        # check allocate more than a laptop can spare, nor run for minutes.
        if r > MAX_R or p > MAX_P or 128 * r * n > MAX_MEMORY:
            raise ValueError(f"scrypt parameters n={n} r={r} p={p} exceed this toolkit's bounds")
        return cls(n=n, r=r, p=p)


# The least cost PINPal hashes a secret with, whatever a file says: the
# interactive-login recommendation of the scrypt paper, which is also where
# calibration starts. A cheaper scrypt.json is recalibrated; a cheaper stored
# hash (an old or imported one) is renewed at the next right answer.
FLOOR = ScryptParams(n=1 << MIN_LOG2_N, r=8, p=1)


def meets_floor(params: ScryptParams, floor: ScryptParams = FLOOR) -> bool:
    return params.n >= floor.n and params.r >= floor.r and params.p >= floor.p


def costlier(new: ScryptParams, old: ScryptParams) -> bool:
    """Whether hashing with ``new`` costs more than ``old`` and less of nothing.

    Memory (n*r) and work (n*r*p) must both be at least ``old``'s, and one of
    them more: a re-hash never makes a secret cheaper to guess.
    """
    memory, work = new.n * new.r, new.n * new.r * new.p
    old_memory, old_work = old.n * old.r, old.n * old.r * old.p
    return memory >= old_memory and work >= old_work and (memory, work) != (old_memory, old_work)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class KdfError(SecretsError):
    """scrypt refused its parameters (too much memory, nonsense values)."""


def scrypt(secret: bytes, salt: bytes, params: ScryptParams, length: int = HASH_LENGTH) -> bytes:
    try:
        return hashlib.scrypt(
            secret,
            salt=salt,
            n=params.n,
            r=params.r,
            p=params.p,
            maxmem=params.maxmem,
            dklen=length,
        )
    except (ValueError, MemoryError) as error:
        raise KdfError(f"scrypt cannot run with n={params.n} r={params.r} p={params.p}") from error


@attrs.frozen(repr=False)
class Verifier:
    """A salted scrypt hash of a whole secret and the parameters that made it."""

    salt: bytes
    digest: bytes
    params: ScryptParams

    def __repr__(self) -> str:
        return f"Verifier(params={self.params!r})"

    @classmethod
    def make(cls, secret: bytes, salt: bytes, params: ScryptParams) -> Verifier:
        return cls(salt=salt, digest=scrypt(secret, salt, params), params=params)

    def verify(self, secret: bytes) -> bool:
        candidate = scrypt(secret, self.salt, self.params, len(self.digest))
        return hmac.compare_digest(candidate, self.digest)


def _trial(params: ScryptParams) -> None:
    scrypt(b"calibration", b"\0" * SALT_LENGTH, params)


def calibrate(
    target: float = TARGET_SECONDS,
    clock: Callable[[], float] = time.perf_counter,
    tick: Callable[[], None] = lambda: None,
    trial: Callable[[ScryptParams], None] = _trial,
) -> ScryptParams:
    """The power-of-two ``n`` (r=8, p=1) whose hash takes closest to ``target`` seconds.

    ``tick`` is called after each trial hash so that a caller can animate a spinner.
    """
    previous: tuple[ScryptParams, float] | None = None
    for log2_n in range(MIN_LOG2_N, MAX_LOG2_N + 1):
        params = ScryptParams(n=1 << log2_n)
        # The best of two runs: the first one also pays for page faults.
        timings = []
        for _ in range(2):
            start = clock()
            trial(params)
            timings.append(clock() - start)
            tick()
        elapsed = max(min(timings), 1e-9)
        if elapsed >= target:
            # Closest on a log scale: the cost doubles with each step.
            if previous is not None and target / previous[1] < elapsed / target:
                return previous[0]
            return params
        previous = (params, elapsed)
    return ScryptParams(n=1 << MAX_LOG2_N)
