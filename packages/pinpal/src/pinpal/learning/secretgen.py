"""New secrets: passphrases from the EFF list, PINs, or one the user already has."""

from __future__ import annotations

import enum
import math
import re

import attrs

from pinpal.learning.entropy import Entropy
from pinpal.learning.wordlist import WORDLIST_SIZE, eff_large_wordlist
from secrets_common.errors import UsageError

MAX_WORDS = 24
MAX_DIGITS = 64
DEFAULT_WORDS = 5


class Kind(enum.Enum):
    WORDS = "words"
    DIGITS = "digits"
    EXISTING = "existing"


@attrs.frozen(repr=False)
class NewSecret:
    """A secret as tokens, how they are joined, and its strength if known.

    ``bits`` is ``None`` for a secret the user brought: its strength depends on
    how it was made, which PINPal cannot know.
    """

    kind: Kind
    tokens: tuple[str, ...]
    separator: str
    bits: float | None = None

    def __repr__(self) -> str:
        # A repr in a traceback or a log must never carry the secret.
        return f"NewSecret(kind={self.kind.value}, tokens=<{len(self.tokens)} hidden>)"

    @property
    def text(self) -> str:
        return self.separator.join(self.tokens)


def strength(kind: Kind, count: int) -> float | None:
    """Bits of a uniformly generated secret of ``count`` tokens; None if the user chose it."""
    if kind is Kind.WORDS:
        return count * math.log2(WORDLIST_SIZE)
    if kind is Kind.DIGITS:
        return count * math.log2(10)
    return None


def generate_words(count: int, entropy: Entropy) -> NewSecret:
    if not 1 <= count <= MAX_WORDS:
        raise UsageError(f"--words must be between 1 and {MAX_WORDS}, not {count}")
    words = eff_large_wordlist()
    tokens = tuple(words[entropy.randbelow(len(words))] for _ in range(count))
    return NewSecret(Kind.WORDS, tokens, " ", strength(Kind.WORDS, count))


def generate_digits(count: int, entropy: Entropy) -> NewSecret:
    if not 1 <= count <= MAX_DIGITS:
        raise UsageError(f"--digits must be between 1 and {MAX_DIGITS}, not {count}")
    tokens = tuple(str(entropy.randbelow(10)) for _ in range(count))
    return NewSecret(Kind.DIGITS, tokens, "", strength(Kind.DIGITS, count))


def existing_secret(text: str) -> NewSecret:
    """Split a secret the user typed into tokens PINPal can hide one by one.

    Words separated by spaces stay words; a dashed code (``ABCD-EFGH``) is split
    at its dashes; a PIN is split into digits; anything else into characters.
    """
    cleaned = text.strip()
    if not cleaned:
        raise UsageError("the secret is empty")
    if re.search(r"\s", cleaned):
        return NewSecret(Kind.EXISTING, tuple(cleaned.split()), " ")
    if "-" in cleaned.strip("-"):
        parts = tuple(part for part in cleaned.split("-") if part)
        return NewSecret(Kind.EXISTING, parts, "-")
    return NewSecret(Kind.EXISTING, tuple(cleaned), "")


def split_answer(answer: str, separator: str, lowercase: bool) -> tuple[str, ...]:
    """Tokens of a typed answer, forgiving extra spaces (and case for words)."""
    text = answer.strip().lower() if lowercase else answer.strip()
    if separator.strip() == "":
        return tuple(text.split()) if separator else tuple("".join(text.split()))
    return tuple(part.strip() for part in text.split(separator) if part.strip())


def chunk_size(kind: Kind, separator: str) -> int:
    """Tokens introduced together: about one word's worth (12.9 bits) at a time."""
    if kind is Kind.WORDS or separator:
        return 1
    return 4
