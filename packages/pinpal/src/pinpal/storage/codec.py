"""The stored form of a label's memorizations: versioned JSON, kept in the vault.

One vault entry per label::

    {"format": "pinpal-label", "version": 2, "label": "...",
     "current": <record>, "retiring": <record> | null}

``retiring`` is the previous secret during a ``rotate``, dropped once the
current one is learned. A record lists its positions; a forgotten position
has no ``token`` key at all, so a learned record carries no token.

Version 2 adds ``"exact"`` to a record: true for a secret the user brought,
graded on exactly the text typed, whose ``"gaps"`` (the spaces and dashes
around its parts, dropped once it is learned) are kept with it. Version 1
records (no ``"exact"``) are read as forgiving ones: they were hashed in the
canonical form, so they stay graded that way.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import attrs

from pinpal.learning.engine import Memorization, Position, Stage
from pinpal.learning.kdf import ScryptParams, Verifier
from pinpal.learning.secretgen import Kind
from secrets_common.errors import SecretsError

FORMAT_NAME = "pinpal-label"
VERSION = 2
READABLE = (1, 2)
# A label's roles: the secret in use, and the one it replaces during a rotation.
CURRENT = "current"
RETIRING = "retiring"


class CorruptRecordError(SecretsError):
    """A stored memorization could not be read back."""


@attrs.frozen(repr=False)
class LabelEntry:
    label: str
    current: Memorization
    retiring: Memorization | None = None

    def __repr__(self) -> str:
        return f"LabelEntry({self.label!r})"

    def records(self) -> list[tuple[str, Memorization]]:
        """(role, record) pairs: the current one first."""
        found = [(CURRENT, self.current)]
        if self.retiring is not None:
            found.append((RETIRING, self.retiring))
        return found


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def record_to_json(record: Memorization) -> dict[str, Any]:
    positions = []
    for p in record.positions:
        item: dict[str, Any] = {"stage": p.stage.value, "stability": p.stability}
        if p.token is not None:
            item["token"] = p.token
        positions.append(item)
    return {
        "kind": record.kind.value,
        "separator": record.separator,
        "chunk": record.chunk,
        "positions": positions,
        "verifier": {
            "salt": _b64(record.verifier.salt),
            "hash": _b64(record.verifier.digest),
            "scrypt": record.verifier.params.to_json(),
        },
        "bits": record.bits,
        "created": record.created,
        "last_review": record.last_review,
        "streak": record.streak,
        "practices": record.practices,
        "successes": record.successes,
        "lapses": record.lapses,
        "learned_at": record.learned_at,
        "due": record.due,
        "history": list(record.history),
        "exact": record.exact,
        "gaps": list(record.gaps),
    }


def encode_entry(entry: LabelEntry) -> bytes:
    document = {
        "format": FORMAT_NAME,
        "version": VERSION,
        "label": entry.label,
        "current": record_to_json(entry.current),
        "retiring": None if entry.retiring is None else record_to_json(entry.retiring),
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")


def decode_entry(data: bytes, name: str) -> LabelEntry:
    """Parse an entry; any damage is one CorruptRecordError naming the label."""
    try:
        document = json.loads(data.decode("utf-8"))
        if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
            raise ValueError("not a PINPal record")
        version = document.get("version")
        if version not in READABLE or isinstance(version, bool):
            raise ValueError(f"unknown version {version!r}")
        retiring = document.get("retiring")
        return LabelEntry(
            label=str(document["label"]),
            current=record_from_json(document["current"]),
            retiring=None if retiring is None else record_from_json(retiring),
        )
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
        # The message names the label only: the error text could quote a token.
        raise CorruptRecordError(
            f"the stored record of {name!r} is damaged ({type(error).__name__})"
        ) from None


def _optional_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("a time is not a number")
    return float(value)


def record_from_json(data: dict[str, Any]) -> Memorization:
    positions = []
    for item in data["positions"]:
        stage = Stage(item["stage"])
        token = item.get("token")
        if (token is None) != (stage is Stage.FORGOTTEN) or not (
            token is None or isinstance(token, str)
        ):
            raise ValueError("a position's token does not match its stage")
        positions.append(Position(stage, token, float(item["stability"])))
    verifier = data["verifier"]
    bits = data.get("bits")
    exact, gaps = _exactness(data, positions)
    return Memorization(
        kind=Kind(data["kind"]),
        separator=str(data["separator"]),
        chunk=int(data["chunk"]),
        positions=tuple(positions),
        verifier=Verifier(
            salt=base64.b64decode(verifier["salt"], validate=True),
            digest=base64.b64decode(verifier["hash"], validate=True),
            params=ScryptParams.from_json(verifier["scrypt"]),
        ),
        bits=None if bits is None else float(bits),
        created=float(data["created"]),
        last_review=_optional_float(data.get("last_review")),
        streak=int(data["streak"]),
        practices=int(data["practices"]),
        successes=int(data["successes"]),
        lapses=int(data["lapses"]),
        learned_at=_optional_float(data.get("learned_at")),
        due=_optional_float(data.get("due")),
        history=tuple(_time(value) for value in data.get("history", [])),
        exact=exact,
        gaps=gaps,
    )


def _exactness(data: dict[str, Any], positions: list[Position]) -> tuple[bool, tuple[str, ...]]:
    exact = data.get("exact", False)
    gaps = data.get("gaps", [])
    if not isinstance(exact, bool) or not isinstance(gaps, list):
        raise TypeError("'exact' or 'gaps' has the wrong type")
    if not all(isinstance(gap, str) for gap in gaps):
        raise TypeError("a gap is not text")
    learned = all(p.stage is Stage.FORGOTTEN for p in positions)
    expected = 0 if learned or not exact else len(positions) + 1
    if len(gaps) != expected:
        raise ValueError("the gaps do not match the positions")
    return exact, tuple(gaps)


def _time(value: object) -> float:
    time = _optional_float(value)
    if time is None:
        raise TypeError("a practice time is missing")
    return time
