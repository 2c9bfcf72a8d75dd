"""Shared fakes for PINPal's tests: a clock, seeded randomness, a cheap hash."""

from __future__ import annotations

import random

import attrs

from pinpal.entropy import Entropy
from pinpal.kdf import SALT_LENGTH, ScryptParams, Verifier
from pinpal.secretgen import NewSecret

# Cheap enough for hundreds of hypothesis examples; explicit, never patched in.
TINY_SCRYPT = ScryptParams(n=16, r=1, p=1)
START = 1_700_000_000.0


@attrs.define
class FakeClock:
    now: float = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def seeded_entropy(seed: int) -> Entropy:
    generator = random.Random(seed)  # noqa: S311 -- reproducible tests, never secrets
    return Entropy(randbelow=generator.randrange, token_bytes=generator.randbytes)


def tiny_verifier(secret: NewSecret, salt: bytes = b"s" * SALT_LENGTH) -> Verifier:
    return Verifier.make(secret.text.encode("utf-8"), salt, TINY_SCRYPT)
