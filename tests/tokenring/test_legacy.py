"""Importing vaults of the original TokenRing, generated with the SoftAuthenticator."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secrets_common.errors import SecretsError
from tests.cli import run
from tests.tokenring.conftest import touches
from tests.tokenring.invoke import Invoke
from tests.tokenring.legacy_fixtures import write_legacy_vault
from tokenring import keys
from tokenring.legacy import LegacyFormatError, LegacyVault, import_legacy, read_legacy
from tokenring.service import TokenRing

ENTRIES = [
    ("https://upload.pypi.org/legacy/", "__token__", "pypi-AgEIcHlwaS5vcmc"),
    ("https://test.pypi.org/legacy/", "__token__", "pypi-test"),
    ("payments", "ops@example.com", "sk_live_ünïcode ☃"),
]


@pytest.fixture
def legacy_file(tmp_path: Path, soft_key: Path) -> Path:
    path = tmp_path / "legacy-vault.json"
    write_legacy_vault(path, soft_key, ENTRIES)
    return path


def test_import_moves_every_entry_with_counted_touches(
    legacy_file: Path, soft_key: Path, tmp_path: Path
) -> None:
    before = touches(soft_key)
    original = legacy_file.read_bytes()
    vault = tmp_path / "new-vault"
    report = import_legacy(legacy_file, vault)
    # one for "data", two for three entries on one credential, one enrolment,
    # and two to wrap the three entries for the key (format 2: index + 1, then 2)
    assert report.touches == 1 + 2 + 1 + 2
    assert touches(soft_key) - before == report.touches
    assert report.imported == 3
    assert legacy_file.read_bytes() == original
    ring = TokenRing(vault=vault, socket=str(tmp_path / "no-agent"), use_agent=False)
    assert ring.entries() == sorted((service, user) for service, user, _ in ENTRIES)
    for service, user, password in ENTRIES:
        assert ring.get(service, user) == password


def test_import_through_the_cli(tokenring: Invoke, legacy_file: Path) -> None:
    imported = tokenring("import-legacy", str(legacy_file))
    assert imported.returncode == 0, imported.stderr
    assert "imported 3 entries" in imported.stderr
    got = tokenring("get", "payments", "ops@example.com")
    assert got.stdout == "sk_live_ünïcode ☃\n"


def test_import_refuses_to_overwrite_a_vault(legacy_file: Path, vault_file: Path) -> None:
    again = run("tokenring", "import-legacy", str(legacy_file))
    assert again.returncode == 2
    assert again.stderr.startswith("error: ")
    assert "already exists" in again.stderr
    assert len(again.stderr.splitlines()) == 1


def test_wrong_key_is_one_line(tokenring: Invoke, legacy_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-key.json"
    got = tokenring(
        "import-legacy",
        str(legacy_file),
        env={"SECRETS_AUTHENTICATOR": f"soft:{other}"},
    )
    assert got.returncode == 3
    assert got.stderr.splitlines()[-1].startswith("error: ")
    assert not (tmp_path / "secrets-home" / "tokenring" / "vault").exists()


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        "[]",
        '{"key": {}}',
        '{"key": {"salt": "00", "credential": {"rp_id": "x", "credential_id": "00"}},'
        ' "data": "00"}',
        '{"key": {"salt": "zz", "credential": {"rp_id": "x", "credential_id": "00"}}, "data": ""}',
    ],
)
def test_foreign_files_are_refused_before_any_touch(
    tokenring: Invoke, tmp_path: Path, soft_key: Path, document: str
) -> None:
    path = tmp_path / "foreign.json"
    path.write_text(document)
    with pytest.raises(LegacyFormatError):
        LegacyVault.load(path)
    got = tokenring("import-legacy", str(path))
    assert got.returncode == 4
    assert len(got.stderr.strip().splitlines()) == 1
    assert touches(soft_key) == 0


def test_tampered_data_is_refused(legacy_file: Path, soft_key: Path) -> None:
    document = json.loads(legacy_file.read_text())
    data = bytearray(bytes.fromhex(document["data"]))
    data[-5] ^= 1
    document["data"] = data.hex()
    legacy_file.write_text(json.dumps(document))
    with pytest.raises(SecretsError, match="does not decrypt"):
        read_legacy(LegacyVault.load(legacy_file), keys.key_source())


# Each example enrols a credential and runs several assertions on the soft key.
@settings(max_examples=8)
@given(
    passwords=st.lists(
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30),
        min_size=0,
        max_size=4,
    )
)
def test_read_legacy_returns_what_was_written(
    tmp_path: Path, soft_key: Path, passwords: list[str]
) -> None:
    path = tmp_path / "prop.json"
    entries = [(f"service-{i}", f"user-{i}", password) for i, password in enumerate(passwords)]
    write_legacy_vault(path, soft_key, entries)
    opened = read_legacy(LegacyVault.load(path), keys.key_source())
    assert opened.entries == entries
    assert opened.touches == 1 + (len(entries) + 1) // 2


@pytest.mark.parametrize("where", ["/dev/zero", "directory", "fifo"])
def test_files_that_never_end_are_refused_at_once(
    tokenring: Invoke, tmp_path: Path, soft_key: Path, where: str
) -> None:
    if where == "directory":
        path = tmp_path
    elif where == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    else:
        path = Path(where)
    got = tokenring("import-legacy", str(path))
    assert got.returncode == 4
    assert got.stderr.splitlines()[-1].startswith("error: ")
    assert touches(soft_key) == 0
