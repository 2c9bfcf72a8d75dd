"""Recovery codes: 160 random bits written as eight groups of Crockford base32.

Crockford's alphabet has no I, L, O or U, so a code copied by hand survives the
usual confusions; :func:`parse` folds them back (I/L to 1, O to 0), ignores
case, spaces and dashes, and rejects anything else before scrypt is run.
"""

from __future__ import annotations

from collections.abc import Callable

from secrets_common.errors import UsageError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_BYTES = 20
GROUP = 4
_CHARS = CODE_BYTES * 8 // 5
_DECODE = {char: value for value, char in enumerate(ALPHABET)}
_DECODE.update({"I": 1, "L": 1, "O": 0})


def generate(random: Callable[[int], bytes]) -> tuple[str, bytes]:
    """A new code as shown to the user, and the raw bytes it stands for."""
    raw = random(CODE_BYTES)
    number = int.from_bytes(raw, "big")
    chars = [ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(_CHARS))]
    text = "".join(chars)
    return "-".join(text[i : i + GROUP] for i in range(0, _CHARS, GROUP)), raw


def parse(code: str) -> bytes:
    """The raw bytes of a code as the user typed it; UsageError if malformed."""
    cleaned = "".join(code.split()).replace("-", "").upper()
    if len(cleaned) != _CHARS:
        raise UsageError(
            f"a recovery code has {_CHARS} characters (8 groups of 4); got {len(cleaned)}"
        )
    number = 0
    for char in cleaned:
        value = _DECODE.get(char)
        if value is None:
            raise UsageError(f"{char!r} cannot appear in a recovery code")
        number = (number << 5) | value
    return number.to_bytes(CODE_BYTES, "big")
