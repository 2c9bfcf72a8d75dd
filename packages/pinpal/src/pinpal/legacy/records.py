"""The original PINPal's records (release 2025.8.21), converted with their progress.

The original kept a JSON list of records in one keyring entry (see
:mod:`pinpal.legacy.importer`), in two shapes, as its ``tojson`` writes them.
The tests' fixtures are written by that release itself
(``tests/pinpal/fixtures/make_original_fixtures.py``).

Both shapes
  ``salt``, ``key``: hex; ``key`` is the scrypt hash (64 bytes) of the whole
  secret, its tokens joined by the separator, exactly as typed.
  ``kdf``: ``{"n", "r", "p", "maxmem"}`` as decimal strings (absent in the
  oldest records: n=2^14, r=8, p=1). ``label``, ``id``.

mem1 (``remainingTokens``, ``tokensMemorized``, ``successCount``, ``separator``,
``entryTimes``): a 6-digit PIN. Learning forgets the *last* token first:
``remainingTokens`` are the leading tokens still stored, then come
``tokensMemorized`` forgotten ones. ``entryTimes`` is a list of
``[time, correct]`` pairs.

Memorization2 (``targetTokenCount``, ``knownTokens``, ``generatedCount``,
``tokenType``, ``guesses``, ``maxKnown``; counts as decimal strings): a
passphrase that grows one token at a time up to ``targetTokenCount`` and
forgets its *first* tokens: the first ``generatedCount - len(knownTokens)``
are forgotten, ``knownTokens`` are the rest. ``tokenType`` is ``words``
(horsephrase's list, joined by a space) or ``numbers`` (joined by ``", "``).
``guesses`` is a list of ``{"correct", "timestamp", "length"}``.

What the user saw carries over: a token the original showed is shown, the
one it hid (the first known token, after two right answers in a row) is
hidden, a forgotten token stays forgotten and counts as learned
(``Policy.forget_at``). A growing passphrase whose tokens are all still
stored is completed to its target length now (new tokens shown, the hash
renewed); one that already forgot a token is imported at its length, with a
line saying so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pinpal.learning.engine import Memorization, Policy, Position, Stage
from pinpal.learning.kdf import SALT_LENGTH, ScryptParams, Verifier, costlier, meets_floor
from pinpal.learning.secretgen import (
    Kind,
    chunk_size,
    generate_digits,
    generate_words,
    strength,
)
from pinpal.service import Pinpal
from pinpal.storage.codec import LabelEntry
from secrets_common.errors import SecretsError

# Fields only one shape has: how the original itself tells them apart.
MEM2_MARK = "targetTokenCount"
MEM1_MARKS = frozenset({"remainingTokens", "tokensMemorized"})
# The original's default for records written before it stored "kdf".
DEFAULT_LEGACY_SCRYPT = ScryptParams(n=2**14, r=8, p=1)
# horsephrase 2022.12.9.1, the original's word list: 23,600 words.
HORSEPHRASE_WORDS = 23_600
MEM2_SEPARATORS = {"words": " ", "numbers": ", "}
# The original hides the first known token after this many right answers in a row.
MEM2_HIDES_AFTER = 2


class LegacyFormatError(SecretsError):
    """The original PINPal's storage is not JSON or not a list of records."""


class _Skip(Exception):
    """One record cannot be imported; the message says why (never a token)."""


def _hex(value: object, field: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise _Skip(f"its {field!r} is missing or not text")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise _Skip(f"its {field!r} is not hex") from None


def _count(value: object, field: str) -> int:
    """A count as the original writes it: an int (mem1) or its decimal string (v2)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Skip(f"its {field!r} is not a count")
    return value


def _scrypt(kdf: object) -> ScryptParams:
    if kdf is None:
        return DEFAULT_LEGACY_SCRYPT
    if not isinstance(kdf, Mapping):
        raise _Skip("its 'kdf' is not scrypt parameters")
    try:
        values = {name: _count(kdf[name], f"kdf {name}") for name in ("n", "r", "p")}
        return ScryptParams.from_json(values)
    except KeyError as missing:
        raise _Skip(f"its 'kdf' lacks {missing.args[0]!r}") from None
    except (ValueError, TypeError):
        raise _Skip("its scrypt parameters are invalid") from None


def _verifier(record: Mapping[str, Any]) -> Verifier:
    return Verifier(
        _hex(record.get("salt"), "salt"), _hex(record.get("key"), "key"), _scrypt(record.get("kdf"))
    )


def _label(record: Mapping[str, Any], index: int) -> str:
    value = record.get("label")
    if isinstance(value, str):
        cleaned = "".join(c for c in value if c.isprintable()).strip()[:100].strip()
        if cleaned:
            return cleaned
    return f"legacy-{index + 1}"


def _strings(value: object, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        raise _Skip(f"its {field!r} is not a list of tokens")
    return list(value)


def _time(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def _mem1_practices(value: object) -> list[tuple[float, bool]]:
    if not isinstance(value, list):
        raise _Skip("its 'entryTimes' is not a list")
    found = []
    for item in value:
        if isinstance(item, list) and len(item) == 2 and isinstance(item[1], bool):
            when = _time(item[0])
            if when is not None:
                found.append((when, item[1]))
    return found


def _mem2_practices(value: object) -> list[tuple[float, bool]]:
    if not isinstance(value, list):
        raise _Skip("its 'guesses' is not a list")
    found = []
    for item in value:
        if isinstance(item, Mapping) and isinstance(item.get("correct"), bool):
            when = _time(item.get("timestamp"))
            if when is not None:
                found.append((when, bool(item["correct"])))
    return found


def convert_mem1(record: Mapping[str, Any], now: float, policy: Policy) -> Memorization:
    remaining = _strings(record.get("remainingTokens"), "remainingTokens")
    memorized = _count(record.get("tokensMemorized"), "tokensMemorized")
    _count(record.get("successCount", 0), "successCount")
    separator = record.get("separator")
    if not isinstance(separator, str):
        raise _Skip("its 'separator' is not text")
    if memorized + len(remaining) == 0:
        raise _Skip("it has no tokens")
    # mem1 made PINs: digits joined by nothing (its `new` defaults).
    digits = separator == "" and all(t.isascii() and t.isdigit() and len(t) == 1 for t in remaining)
    kind = Kind.DIGITS if digits else Kind.EXISTING
    positions = [Position(Stage.SHOWN, token) for token in remaining]
    positions += [Position(Stage.FORGOTTEN, None, policy.forget_at) for _ in range(memorized)]
    practices = _mem1_practices(record.get("entryTimes", []))
    bits = strength(kind, len(positions))
    return _memorization(kind, separator, positions, _verifier(record), bits, practices, now)


def convert_mem2(
    record: Mapping[str, Any], now: float, policy: Policy, service: Pinpal
) -> tuple[Memorization, str | None]:
    target = _count(record.get("targetTokenCount"), "targetTokenCount")
    generated = _count(record.get("generatedCount"), "generatedCount")
    known = _strings(record.get("knownTokens"), "knownTokens")
    token_type = record.get("tokenType")
    if token_type not in MEM2_SEPARATORS:
        raise _Skip(f"its 'tokenType' is {str(token_type)[:20]!r}, not words or numbers")
    if len(known) > generated or generated == 0 or generated > target:
        raise _Skip("its token counts disagree")
    separator = MEM2_SEPARATORS[token_type]
    kind = Kind.DIGITS if separator == MEM2_SEPARATORS["numbers"] else Kind.WORDS
    if kind is Kind.DIGITS and not all(t.isascii() and t.isdigit() and len(t) == 1 for t in known):
        raise _Skip("its 'knownTokens' are not digits")
    verifier = _verifier(record)
    practices = _mem2_practices(record.get("guesses", []))
    streak = _streak_at(record.get("guesses"), generated)
    forgotten = generated - len(known)
    positions = [Position(Stage.FORGOTTEN, None, policy.forget_at) for _ in range(forgotten)]
    for i, token in enumerate(known):
        hidden = i == 0 and streak >= MEM2_HIDES_AFTER
        positions.append(
            Position(Stage.HIDDEN, token, policy.model.initial)
            if hidden
            else Position(Stage.SHOWN, token)
        )
    bits = _mem2_bits(kind, generated)
    note = None
    if generated < target:
        if forgotten == 0:
            make = generate_words if kind is Kind.WORDS else generate_digits
            extra = make(target - generated, service.entropy).tokens
            positions += [Position(Stage.SHOWN, t) for t in extra]
            whole = separator.join(p.token or "" for p in positions).encode("utf-8")
            salt = service.entropy.token_bytes(SALT_LENGTH)
            machine = service.kdf_params()
            # Never renewed at a lower cost than the original's.
            cost = machine if costlier(machine, verifier.params) else verifier.params
            verifier = Verifier.make(whole, salt, cost)
            bits = _mem2_bits(kind, generated) + (strength(kind, len(extra)) or 0.0)
            note = (
                f"completed from {generated} to {target} {_unit(kind)} "
                "as the original would have (the new ones are shown first)"
            )
        else:
            note = (
                f"only {generated} of its {target} {_unit(kind)} existed and the first is "
                f"forgotten, so it is imported at {generated} ({bits:.0f} bits); "
                "`rotate` makes a full-strength one"
            )
    return _memorization(kind, separator, positions, verifier, bits, practices, now), note


def _unit(kind: Kind) -> str:
    return "words" if kind is Kind.WORDS else "digits"


def _mem2_bits(kind: Kind, count: int) -> float:
    size = HORSEPHRASE_WORDS if kind is Kind.WORDS else 10
    return count * math.log2(size)


def _streak_at(guesses: object, length: int) -> int:
    """Right answers in a row at the current length (the original's correctGuessCount)."""
    streak = 0
    for item in reversed(guesses if isinstance(guesses, list) else []):
        if not isinstance(item, Mapping) or item.get("correct") is not True:
            break
        try:
            if _count(item.get("length"), "length") != length:
                break
        except _Skip:
            break
        streak += 1
    return streak


def _memorization(
    kind: Kind,
    separator: str,
    positions: list[Position],
    verifier: Verifier,
    bits: float | None,
    practices: Sequence[tuple[float, bool]],
    now: float,
) -> Memorization:
    learned = all(p.stage is Stage.FORGOTTEN for p in positions)
    times = [when for when, _ in practices]
    return Memorization(
        kind=kind,
        separator=separator,
        chunk=chunk_size(kind, separator),
        positions=tuple(positions),
        verifier=verifier,
        bits=bits,
        created=min(times) if times else now,
        # Due at once: the first practice re-anchors the schedule on this clock.
        last_review=None,
        practices=len(practices),
        successes=sum(correct for _, correct in practices),
        lapses=sum(not correct for _, correct in practices),
        learned_at=now if learned else None,
    )


def convert(
    document: object, now: float, service: Pinpal, taken: frozenset[str] = frozenset()
) -> tuple[list[LabelEntry], list[str], list[str]]:
    """Entries to store, a line per record changed, and a line per record skipped.

    A record whose label is ``taken`` is skipped before it is converted, so
    that importing twice neither completes a secret again nor says it did.
    """
    if not isinstance(document, list):
        raise LegacyFormatError("the original PINPal's storage is not a list of records")
    entries: list[LabelEntry] = []
    notes: list[str] = []
    skipped: list[str] = []
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
            note = None
            if MEM2_MARK in record:
                memorization, note = convert_mem2(record, now, service.policy, service)
            elif set(record) >= MEM1_MARKS:
                memorization = convert_mem1(record, now, service.policy)
            else:
                shown = ", ".join(sorted(str(k) for k in record)[:12])
                raise _Skip(f"unknown shape (fields: {shown})")
            while label in seen:
                label = f"{label}-{index + 1}"
            seen.add(label)
            entries.append(LabelEntry(label, memorization))
            if note:
                notes.append(f"{name}: {note}")
            cost = memorization.verifier.params
            if not meets_floor(cost):
                notes.append(
                    f"{name}: its hash (scrypt n=2^{cost.n.bit_length() - 1}, r={cost.r}) is "
                    "cheaper than PINPal's floor; your next right answer renews it"
                )
        except _Skip as skip:
            skipped.append(f"{name}: skipped, {skip}")
    return entries, notes, skipped
