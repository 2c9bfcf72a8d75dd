"""New secrets: passphrases from the EFF list, PINs, or one the user already has."""

from __future__ import annotations

import enum
import math
import re
import unicodedata

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
    how it was made, which PINPal cannot know. ``gaps`` is set for such a
    secret only: what was typed around and between its tokens, exactly
    (``len(tokens) + 1`` strings), so that nothing typed is lost.
    """

    kind: Kind
    tokens: tuple[str, ...]
    separator: str
    bits: float | None = None
    gaps: tuple[str, ...] | None = None

    def __repr__(self) -> str:
        # A repr in a traceback or a log must never carry the secret.
        return f"NewSecret(kind={self.kind.value}, tokens=<{len(self.tokens)} hidden>)"

    @property
    def text(self) -> str:
        if self.gaps is not None:
            return interleave(self.gaps, self.tokens)
        return self.separator.join(self.tokens)


def interleave(gaps: tuple[str, ...], tokens: tuple[str, ...]) -> str:
    """``gaps[0] + tokens[0] + gaps[1] + ... + gaps[-1]``."""
    return gaps[0] + "".join(token + gap for token, gap in zip(tokens, gaps[1:], strict=True))


def normalized(text: str) -> str:
    """The one transformation an existing secret (and an answer to it) goes through."""
    return unicodedata.normalize("NFC", text)


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
    """A secret the user typed, kept exactly (Unicode NFC only), as parts to hide one by one.

    Words separated by spaces stay words; a dashed code (``ABCD-EFGH``) is split
    at its dashes; a PIN is split into digits; anything else into characters.
    The spaces and dashes around and between the parts are kept as typed.
    """
    exact = normalized(text)
    cleaned = exact.strip()
    if not cleaned:
        raise UsageError("the secret is empty")
    if re.search(r"\s", cleaned):
        separator = " "
    elif "-" in cleaned.strip("-"):
        separator = "-"
    else:
        separator = ""
    tokens, gaps = split_exact(exact, separator)
    return NewSecret(Kind.EXISTING, tokens, separator, gaps=gaps)


_GAPS = {" ": r"\s+", "-": r"[\s-]+", "": r"\s+"}


def split_exact(text: str, separator: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Parts and the gaps around them, such that ``interleave(gaps, parts) == text``.

    Gaps are runs of spaces (and of dashes, for a dashed code); with no
    separator, every character between the leading and trailing spaces is a part.
    """
    gap = _GAPS.get(separator, re.escape(separator) + "+")
    found = re.fullmatch(f"({gap})?(.*?)({gap})?", text, re.DOTALL)
    if found is None:  # pragma: no cover - the pattern matches any text
        raise ValueError("unsplittable")
    lead, middle, trail = found.group(1) or "", found.group(2), found.group(3) or ""
    if not middle:
        return (), (lead + trail,)
    if separator == "":
        return tuple(middle), (lead, *([""] * (len(middle) - 1)), trail)
    pieces = re.split(f"({gap})", middle)
    return tuple(pieces[0::2]), (lead, *pieces[1::2], trail)


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
