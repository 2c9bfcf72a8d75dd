"""Importing what the released original PINPal 2025.8.21 wrote, with its progress.

The fixtures were written by that release's own code
(``fixtures/make_original_fixtures.py``); see ``fixtures/README.md``.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from keyrings.alt.file import PlaintextKeyring

from pinpal.learning.engine import Stage
from pinpal.learning.kdf import ScryptParams
from pinpal.legacy.importer import IncompleteImportError, import_document
from pinpal.legacy.records import LegacyFormatError
from pinpal.service import Pinpal
from pinpal.storage.codec import CURRENT
from pinpal.storage.store import MemoryStore
from tests.cli import run
from tests.pinpal.fixtures import make_original_fixtures
from tests.pinpal.helpers import TINY_SCRYPT, FakeClock, cli_service, keyring_file, seeded_entropy

FIXTURES = Path(__file__).parent / "fixtures"
STORAGE = FIXTURES / "original_storage.json"
SECRETS: dict[str, str] = json.loads((FIXTURES / "original_secrets.json").read_text("utf-8"))
PROVENANCE: dict[str, Any] = json.loads((FIXTURES / "original_provenance.json").read_text())
LABELS = sorted(SECRETS)


def document() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(STORAGE.read_text("utf-8"))
    return loaded


@pytest.fixture
def service(tmp_path: Path) -> Pinpal:
    return Pinpal(MemoryStore(), tmp_path, FakeClock(), lambda: TINY_SCRYPT, seeded_entropy(3))


@pytest.fixture
def imported(service: Pinpal) -> Any:
    return import_document(service, document())


def hint(service: Pinpal, label: str) -> str:
    return service.entry(label).current.hint()


def test_fixtures_come_from_the_released_wheel_and_its_keyring_file(tmp_path: Path) -> None:
    assert PROVENANCE["package"] == "pinpal==2025.8.21"
    assert PROVENANCE["wheel_sha256"] == make_original_fixtures.WHEEL_SHA256
    assert PROVENANCE["keyring_item"] == "pinpal/storage"
    # The storage file is the item in the keyring file the original wrote, byte for byte.
    keyring = PlaintextKeyring()
    keyring.file_path = str(tmp_path / "keyring_pass.cfg")
    shutil.copy(FIXTURES / "original_keyring_pass.cfg", keyring.file_path)
    assert keyring.get_password("pinpal", "storage") == STORAGE.read_text("utf-8")
    assert sorted(record["label"] for record in document()) == LABELS


def test_every_record_the_original_wrote_is_imported(service: Pinpal, imported: Any) -> None:
    assert service.store.labels() == LABELS
    assert imported.summary == f"imported {len(LABELS)} of {len(LABELS)} records."
    assert imported.skipped == ()
    imported.check_complete()


@pytest.mark.parametrize("label", LABELS)
def test_the_original_secret_is_right_and_another_is_wrong(
    service: Pinpal, imported: Any, label: str
) -> None:
    record = service.entry(label).current
    whole = SECRETS[label]
    if label == "password manager":
        # Completed to its five words: the original's two, then three new ones.
        whole = " ".join(p.token or "" for p in record.positions)
        assert whole.startswith(SECRETS[label] + " ")
    wrong = whole[:-1] + ("0" if whole[-1] != "0" else "1")
    assert not service.answer(label, CURRENT, wrong)[0].correct
    assert service.answer(label, CURRENT, whole)[0].correct


def test_mem1_pins_forget_from_the_end(service: Pinpal, imported: Any) -> None:
    assert hint(service, "fresh pin") == SECRETS["fresh pin"]
    assert hint(service, "bank card") == SECRETS["bank card"][:5] + "•"
    assert hint(service, "door code") == "••••••"
    assert service.entry("door code").current.learned
    bank = service.entry("bank card").current
    assert (bank.practices, bank.successes, bank.lapses) == (12, 11, 1)
    assert bank.bits == pytest.approx(6 * math.log2(10))


def test_memorization2_forgets_from_the_start_and_keeps_what_was_hidden(
    service: Pinpal, imported: Any
) -> None:
    laptop = SECRETS["laptop"].split()
    # Four of five words, the first forgotten; the original hid the first
    # known word after two right answers in a row, and so does the import.
    assert hint(service, "laptop") == "• ° " + " ".join(laptop[2:])
    assert hint(service, "disk") == "• • • • °"
    assert service.entry("backup").current.learned
    assert service.entry("laptop").current.bits == pytest.approx(4 * math.log2(23_600))


def test_growing_passphrases_are_completed_or_kept_at_their_length(
    service: Pinpal, imported: Any
) -> None:
    record = service.entry("password manager").current
    assert [p.stage for p in record.positions] == [Stage.SHOWN] * 5
    assert record.bits == pytest.approx(2 * math.log2(23_600) + 3 * math.log2(7776))
    assert imported.notes[0].startswith(
        "record 4 ('password manager'): completed from 2 to 5 words"
    )
    assert imported.notes[1].startswith(
        "record 5 ('laptop'): only 4 of its 5 words existed and the first is forgotten"
    )
    # Renewed at the original's cost, not the cheaper one of this test's machine.
    original = document()[3]["kdf"]
    assert record.verifier.params == ScryptParams(n=int(original["n"]), r=int(original["r"]))
    assert len(imported.notes) == 2


def test_a_record_hashed_below_the_floor_is_imported_with_a_warning(
    service: Pinpal,
) -> None:
    records = document()
    records[1]["kdf"] = {"n": "8192", "r": "8", "p": "1", "maxmem": "16777216"}
    report = import_document(service, records[1:2])
    assert report.notes == (
        "record 1 ('bank card'): its hash (scrypt n=2^13, r=8) is cheaper than PINPal's "
        "floor; your next right answer renews it",
    )


def test_messages_never_quote_a_token(imported: Any) -> None:
    text = "\n".join([*imported.notes, *imported.skipped, imported.summary])
    for secret in SECRETS.values():
        for token in secret.split():
            assert token not in text


def broken_document() -> list[Any]:
    records = document()
    bad_kdf = {**records[0], "label": "bad kdf", "kdf": {**records[0]["kdf"], "n": "many"}}
    bad_type = {**records[3], "label": "emoji", "tokenType": "emoji"}
    return [*records, bad_kdf, {"label": "mystery", "else": 1}, bad_type, "nonsense"]


def test_each_skipped_record_is_named_with_why(service: Pinpal) -> None:
    report = import_document(service, broken_document())
    assert report.summary == f"imported {len(LABELS)} of {len(LABELS) + 4} records."
    assert report.skipped == (
        "record 8 ('bad kdf'): skipped, its 'kdf n' is not a count",
        "record 9 ('mystery'): skipped, unknown shape (fields: else, label)",
        "record 10 ('emoji'): skipped, its 'tokenType' is 'emoji', not words or numbers",
        "record 11: skipped, it is not an object",
    )
    with pytest.raises(IncompleteImportError, match="imported 7 of 11 records; 4 skipped"):
        report.check_complete()


def test_existing_labels_are_not_overwritten(service: Pinpal) -> None:
    import_document(service, document())
    again = import_document(service, document())
    assert "record 1 ('fresh pin'): skipped, a secret with that label exists" in again.skipped
    assert again.imported == 0
    # Skipped before conversion: nothing is completed or re-hashed twice.
    assert again.notes == ()


def test_not_a_list_is_one_clear_error(service: Pinpal) -> None:
    with pytest.raises(LegacyFormatError, match="not a list"):
        import_document(service, {"a": 1})


def original_keyring(env: dict[str, str], document_text: str | None = None) -> None:
    """The original's keyring file where `pinpal` finds it, optionally with other records."""
    target = keyring_file(env)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "original_keyring_pass.cfg", target)
    if document_text is not None:
        keyring = PlaintextKeyring()
        keyring.file_path = str(target)
        keyring.set_password("pinpal", "storage", document_text)


def test_import_through_the_cli_from_the_original_keyring_file(env: dict[str, str]) -> None:
    missing = run("pinpal", "import-legacy", env={**env, "PINPAL_KEYRING": "elsewhere"})
    assert missing.returncode == 1
    assert "no original PINPal storage" in missing.stderr
    original_keyring(env)
    result = run("pinpal", "import-legacy", env=env)
    assert result.returncode == 0, result.stderr
    assert f"imported {len(LABELS)} of {len(LABELS)} records." in result.stdout
    assert cli_service(env).store.labels() == LABELS


def test_an_incomplete_import_exits_non_zero_naming_each_skipped_record(
    env: dict[str, str],
) -> None:
    original_keyring(env, json.dumps(broken_document()))
    result = run("pinpal", "import-legacy", env=env)
    assert result.returncode == 1
    assert "record 9 ('mystery'): skipped, unknown shape" in result.stderr
    assert "record 11: skipped, it is not an object" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: imported 7 of 11 records; 4 skipped as listed above"
    )
    assert cli_service(env).store.labels() == LABELS
