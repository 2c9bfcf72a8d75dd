"""The original PINPal's memorization records, converted with their progress.

The original kept a JSON list of records in one keyring entry (see
:mod:`pinpal.legacy.importer`), in two shapes. What each field is taken to mean (the
original's format was never documented; these are the assumptions, and the
tests' fixtures follow them):

Both shapes
  ``salt``, ``key``: the scrypt salt and the scrypt hash of the whole secret
  (tokens joined by the separator), as base64, or as hex when the text is
  only hex digits. ``kdf``: ``{"n", "r", "p", "maxmem"}``, possibly nested
  under ``"scrypt"``; missing parameters default to n=2**14, r=8, p=1.
  ``label`` (or ``description``, ``name``): the record's name, else
  ``legacy-N``.

v1 (``remainingTokens``, ``tokensMemorized``, ``successCount``, ``separator``,
``entryTimes``)
  The first ``tokensMemorized`` tokens are memorized (their plaintext is
  gone); ``remainingTokens`` are the rest, still stored. The first of them
  is the one being learned (``successCount`` successes so far); the others
  are still shown. ``entryTimes`` are the epoch times of past practices.

v2 (``targetTokenCount``, ``knownTokens``, ``generatedCount``, ``tokenType``,
``guesses``, ``maxKnown``)
  ``generatedCount`` tokens exist; the last ``len(knownTokens)`` of them are
  still stored, the earlier ones are memorized. ``tokenType`` names the
  token kind (``words``/``digits``; anything else is imported as a secret of
  unknown strength). ``guesses`` counts practices (a number or a list).
  While fewer than ``targetTokenCount`` tokens were generated and every one is
  still stored, the missing tokens are generated now and the hash renewed;
  if some are already memorized, the secret is imported at its current length.
  ``maxKnown`` (how many tokens the original kept in plaintext at most) has
  no equivalent and is ignored.

Imported progress becomes stabilities of the memory model: a memorized
token counts as learned (``Policy.forget_at``), the token being learned gets
the initial stability grown once per recorded success, stored tokens that
were already in training are hidden.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pinpal.learning.engine import Memorization, Policy, Position, Stage
from pinpal.learning.kdf import SALT_LENGTH, ScryptParams, Verifier
from pinpal.learning.secretgen import Kind, chunk_size, generate_digits, generate_words, strength
from pinpal.service import Pinpal
from pinpal.storage.codec import LabelEntry
from secrets_common.errors import SecretsError

# Fields only one shape has: enough to tell them apart.
V1_MARKS = frozenset({"remainingTokens", "tokensMemorized"})
V2_MARKS = frozenset({"targetTokenCount", "knownTokens"})
DEFAULT_LEGACY_SCRYPT = ScryptParams(n=2**14, r=8, p=1)
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})+$")


class LegacyFormatError(SecretsError):
    """The original PINPal's storage is not JSON or not a list of records."""


class _Skip(Exception):
    """One record cannot be imported; the message says why (never a token)."""


def _bytes(value: object, field: str) -> bytes:
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        return bytes(value)
    if not isinstance(value, str) or not value:
        raise _Skip(f"its {field!r} is missing or not text")
    try:
        if _HEX.match(value):
            return bytes.fromhex(value)
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Skip(f"its {field!r} is neither base64 nor hex") from None


def _scrypt(kdf: object) -> ScryptParams:
    if isinstance(kdf, Mapping):
        inner = kdf.get("scrypt", kdf.get("params", kdf))
        if isinstance(inner, Mapping) and "n" in inner:
            try:
                return ScryptParams.from_json(dict(inner))
            except (ValueError, TypeError):
                raise _Skip("its scrypt parameters are invalid") from None
    if kdf is None or kdf == "scrypt" or isinstance(kdf, Mapping):
        return DEFAULT_LEGACY_SCRYPT
    raise _Skip(f"its key derivation {str(kdf)[:20]!r} is not scrypt")


def _label(record: Mapping[str, Any], index: int) -> str:
    for field in ("label", "description", "name"):
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()[:100]
    return f"legacy-{index + 1}"


def _strings(value: object, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        raise _Skip(f"its {field!r} is not a list of tokens")
    return list(value)


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Skip(f"its {field!r} is not a count")
    return value


def _grown(policy: Policy, successes: int) -> float:
    growth = 1.0 + policy.model.gain
    return min(policy.forget_at * 0.99, policy.model.initial * growth ** max(successes, 0))


def _times(value: object) -> list[float]:
    if not isinstance(value, list):
        return []
    return [float(t) for t in value if isinstance(t, int | float) and math.isfinite(t) and t > 0]


def _kind_of(separator: str, tokens: Sequence[str]) -> Kind:
    if tokens and all(t.isdigit() and len(t) == 1 for t in tokens) and separator == "":
        return Kind.DIGITS
    return Kind.EXISTING


def convert_v1(record: Mapping[str, Any], now: float, policy: Policy) -> Memorization:
    remaining = _strings(record.get("remainingTokens", []), "remainingTokens")
    memorized = _count(record.get("tokensMemorized", 0), "tokensMemorized")
    successes = _count(record.get("successCount", 0), "successCount")
    separator = record.get("separator", " ")
    if not isinstance(separator, str):
        raise _Skip("its 'separator' is not text")
    if memorized + len(remaining) == 0:
        raise _Skip("it has no tokens")
    verifier = Verifier(
        _bytes(record.get("salt"), "salt"),
        _bytes(record.get("key"), "key"),
        _scrypt(record.get("kdf")),
    )
    positions = [Position(Stage.FORGOTTEN, None, policy.forget_at) for _ in range(memorized)]
    for i, token in enumerate(remaining):
        if i == 0 and (memorized or successes):
            positions.append(Position(Stage.HIDDEN, token, _grown(policy, successes)))
        else:
            positions.append(Position(Stage.SHOWN, token))
    times = _times(record.get("entryTimes"))
    kind = (
        Kind.WORDS if separator == " " and _all_words(remaining) else _kind_of(separator, remaining)
    )
    return _memorization(kind, separator, positions, verifier, times, len(times), now)


def _all_words(tokens: Sequence[str]) -> bool:
    from pinpal.learning.wordlist import eff_large_wordlist

    words = set(eff_large_wordlist())
    return all(t in words for t in tokens)


def convert_v2(
    record: Mapping[str, Any], now: float, policy: Policy, service: Pinpal
) -> tuple[Memorization, str | None]:
    target = _count(record.get("targetTokenCount"), "targetTokenCount")
    generated = _count(record.get("generatedCount", target), "generatedCount")
    known = _strings(record.get("knownTokens", []), "knownTokens")
    if len(known) > generated or generated == 0:
        raise _Skip("its token counts disagree")
    token_type = str(record.get("tokenType", "words")).lower()
    kind = {
        "words": Kind.WORDS,
        "word": Kind.WORDS,
        "digits": Kind.DIGITS,
        "digit": Kind.DIGITS,
    }.get(token_type, Kind.EXISTING)
    separator = "" if kind is Kind.DIGITS else " "
    verifier = Verifier(
        _bytes(record.get("salt"), "salt"),
        _bytes(record.get("key"), "key"),
        _scrypt(record.get("kdf")),
    )
    note = None
    memorized = generated - len(known)
    guesses = record.get("guesses")
    times = _times(guesses)
    practices = len(guesses) if isinstance(guesses, list) else _count(guesses or 0, "guesses")
    stability = _grown(policy, practices)
    positions = [Position(Stage.FORGOTTEN, None, policy.forget_at) for _ in range(memorized)]
    positions += [Position(Stage.HIDDEN, t, stability) for t in known]
    if generated < target:
        if memorized == 0 and kind is not Kind.EXISTING:
            make = generate_words if kind is Kind.WORDS else generate_digits
            extra = make(target - generated, service.entropy).tokens
            positions += [Position(Stage.SHOWN, t) for t in extra]
            full = separator.join(p.token or "" for p in positions).encode("utf-8")
            salt = service.entropy.token_bytes(SALT_LENGTH)
            verifier = Verifier.make(full, salt, service.kdf_params())
            note = f"completed from {generated} to {target} tokens (new ones shown first)"
        else:
            note = f"only {generated} of its {target} tokens existed; imported at that length"
    return _memorization(kind, separator, positions, verifier, times, practices, now), note


def _memorization(
    kind: Kind,
    separator: str,
    positions: list[Position],
    verifier: Verifier,
    times: list[float],
    practices: int,
    now: float,
) -> Memorization:
    learned = all(p.stage is Stage.FORGOTTEN for p in positions)
    return Memorization(
        kind=kind,
        separator=separator,
        chunk=chunk_size(kind, separator),
        positions=tuple(positions),
        verifier=verifier,
        bits=strength(kind, len(positions)),
        created=min(times) if times else now,
        # Due at once: the first practice re-anchors the schedule on this clock.
        last_review=None,
        practices=practices,
        successes=practices,
        learned_at=now if learned else None,
    )


def convert(
    document: object, now: float, service: Pinpal, taken: frozenset[str] = frozenset()
) -> tuple[list[LabelEntry], list[str]]:
    """Entries to store, and one line per record that was skipped or changed.

    A record whose label is ``taken`` is skipped before it is converted, so
    that importing twice neither completes a secret again nor says it did.
    """
    if not isinstance(document, list):
        raise LegacyFormatError("the original PINPal's storage is not a list of records")
    entries: list[LabelEntry] = []
    lines: list[str] = []
    seen: set[str] = set()
    for index, record in enumerate(document):
        name = f"record {index + 1}"
        try:
            if not isinstance(record, Mapping):
                raise _Skip("it is not an object")
            label = _label(record, index)
            name = f"record {index + 1} ({label!r})"
            if label in taken:
                raise _Skip("a secret with that label exists")
            keys = set(record)
            note = None
            if keys & V2_MARKS:
                memorization, note = convert_v2(record, now, service.policy, service)
            elif keys & V1_MARKS:
                memorization = convert_v1(record, now, service.policy)
            else:
                shown = ", ".join(sorted(str(k) for k in keys)[:12])
                raise _Skip(f"unknown shape (fields: {shown})")
            while label in seen:
                label = f"{label}-{index + 1}"
            seen.add(label)
            entries.append(LabelEntry(label, memorization))
            if note:
                lines.append(f"{name}: {note}")
        except _Skip as skip:
            lines.append(f"{name}: skipped, {skip}")
    return entries, lines
