"""Importing the original PINPal's storage: both record shapes, with progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pinpal.learning.engine import Stage
from pinpal.legacy.importer import import_document
from pinpal.legacy.records import LegacyFormatError
from pinpal.service import Pinpal
from pinpal.storage.codec import CURRENT
from pinpal.storage.store import MemoryStore
from tests.cli import run
from tests.pinpal.helpers import TINY_SCRYPT, FakeClock, cli_service, plain_keyring, seeded_entropy

FIXTURE = Path(__file__).parent / "fixtures" / "legacy_storage.json"


def document() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(FIXTURE.read_text())
    return loaded


@pytest.fixture
def service(tmp_path: Path) -> Pinpal:
    return Pinpal(MemoryStore(), tmp_path, FakeClock(), lambda: TINY_SCRYPT, seeded_entropy(3))


@pytest.fixture
def imported(service: Pinpal) -> list[str]:
    return import_document(service, document())


def stages(service: Pinpal, label: str) -> list[Stage]:
    return [p.stage for p in service.entry(label).current.positions]


def test_every_importable_record_is_carried_over(service: Pinpal, imported: list[str]) -> None:
    assert service.store.labels() == ["disk", "email", "legacy-2", "phone", "vpn"]
    assert imported[-1] == "imported 5 of 7 records."


def test_v1_progress_is_kept(service: Pinpal, imported: list[str]) -> None:
    assert stages(service, "email") == [Stage.FORGOTTEN, Stage.HIDDEN, Stage.SHOWN]
    record = service.entry("email").current
    assert record.hint() == "• ° battery"
    assert record.practices == 3
    assert record.due_at() <= service.clock()
    review, _ = service.answer("email", CURRENT, "correct horse battery")
    assert review.correct
    # The answer re-hashed the secret with this machine's cost.
    assert service.entry("email").current.verifier.params == TINY_SCRYPT


def test_v1_learned_record_with_hex_fields(service: Pinpal, imported: list[str]) -> None:
    record = service.entry("legacy-2").current
    assert record.learned
    assert record.hint() == "•-•-•"
    assert service.answer("legacy-2", CURRENT, "red-green-blue")[0].correct
    assert not service.answer("legacy-2", CURRENT, "red-blue-green")[0].correct


def test_v2_digits_with_forgotten_and_known_tokens(service: Pinpal, imported: list[str]) -> None:
    record = service.entry("phone").current
    assert record.hint() == "••°°"
    assert record.bits == pytest.approx(13.29, abs=0.01)
    assert service.answer("phone", CURRENT, "4271")[0].correct


def test_v2_growing_secret_is_completed_when_every_token_is_known(
    service: Pinpal, imported: list[str]
) -> None:
    record = service.entry("vpn").current
    assert len(record.positions) == 3
    assert record.positions[0].token == "apple"
    assert stages(service, "vpn") == [Stage.HIDDEN, Stage.SHOWN, Stage.SHOWN]
    full = " ".join(p.token or "" for p in record.positions)
    assert service.answer("vpn", CURRENT, full)[0].correct
    assert any(line.startswith("record 4 ('vpn'): completed from 1 to 3") for line in imported)


def test_v2_growing_secret_with_a_forgotten_token_keeps_its_length(
    service: Pinpal, imported: list[str]
) -> None:
    assert service.entry("disk").current.hint() == "• °"
    assert service.answer("disk", CURRENT, "plum pear")[0].correct
    assert any("only 2 of its 4 tokens existed" in line for line in imported)


def test_unknown_and_broken_records_are_one_line_each(imported: list[str]) -> None:
    assert "record 6 ('mystery'): skipped, unknown shape (fields: else, label, something)" in (
        imported
    )
    assert "record 7 ('nokdf'): skipped, its 'salt' is neither base64 nor hex" in imported


def test_existing_labels_are_not_overwritten(service: Pinpal) -> None:
    import_document(service, document())
    again = import_document(service, document())
    assert "record 1 ('email'): skipped, a secret with that label exists" in again
    assert again[-1] == "imported 0 of 7 records."
    # Skipped before conversion: nothing is completed or re-hashed twice.
    assert not any("completed" in line for line in again)


def test_messages_never_quote_a_token(imported: list[str]) -> None:
    text = "\n".join(imported)
    for token in ("horse", "battery", "apple", "pear", "4271"):
        assert token not in text


def test_not_a_list_is_one_clear_error(service: Pinpal) -> None:
    with pytest.raises(LegacyFormatError, match="not a list"):
        import_document(service, {"a": 1})


def test_import_from_the_keyring_through_the_cli(env: dict[str, str]) -> None:
    env = {**env, "PINPAL_KEYRING": "old-pinpal"}
    missing = run("pinpal", "import-legacy", env=env)
    assert missing.returncode == 1
    assert "no original PINPal storage" in missing.stderr
    plain_keyring(env).set_password("old-pinpal", "storage", FIXTURE.read_text())
    result = run("pinpal", "import-legacy", env=env)
    assert result.returncode == 0, result.stderr
    assert "imported 5 of 7 records." in result.stdout
    labels = cli_service(env).store.labels()
    assert labels == ["disk", "email", "legacy-2", "phone", "vpn"]
