"""The on-disk format: checked-in fixtures of every released version still open,
and the pieces of the format agree with their specifications."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from hypothesis import given
from hypothesis import strategies as st

from secrets_common.errors import UsageError
from secrets_common.keysource import Credential
from secrets_common.vault import Opener, ScryptParams, Vault, crypto, layout, recovery
from tests.common.vault_strategies import MemoryKeyring, entry_names, soft_source, touches

FIXTURES = Path(__file__).parents[1] / "fixtures" / "vault"
VERSIONS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("v"))


def test_the_current_version_has_fixtures() -> None:
    assert f"v{layout.VERSION}" in VERSIONS
    assert "v1" in VERSIONS


@pytest.fixture(params=VERSIONS)
def fixture(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A private copy of one version's fixture directory, and its expected.json."""
    source = FIXTURES / str(request.param)
    copy = tmp_path / "fixture"
    shutil.copytree(source, copy)
    os.chmod(copy, 0o700)
    os.chmod(copy / "vault", 0o600)
    expected = json.loads((copy / "expected.json").read_text())
    assert isinstance(expected, dict)
    return copy, expected


def expected_entries(expected: dict[str, object]) -> dict[str, bytes]:
    entries = expected["entries"]
    assert isinstance(entries, dict)
    return {name: base64.b64decode(value) for name, value in entries.items()}


def read_everything(vault: Vault, opener: Opener) -> dict[str, bytes]:
    return {name: vault.read(name, opener, reason="fixture") for name in vault.names()}


def test_fixture_opens_by_keyring(fixture: tuple[Path, dict[str, object]]) -> None:
    directory, expected = fixture
    stored = expected["keyring"]
    assert isinstance(stored, dict)
    keyring = MemoryKeyring()
    keyring.set_password(stored["service"], stored["username"], stored["password"])
    opener = Opener(keyring=keyring)
    vault = Vault.open(directory / "vault").unlock(opener, reason="fixture")
    assert read_everything(vault, opener) == expected_entries(expected)
    assert [slot.kind for slot in vault.slots()] == ["keyring", "recovery", "authenticator"]


def test_fixture_opens_by_recovery_code(fixture: tuple[Path, dict[str, object]]) -> None:
    directory, expected = fixture
    code = expected["recovery_code"]
    assert isinstance(code, str)
    opener = Opener(recovery_code=code)
    vault = Vault.open(directory / "vault").unlock(opener, reason="fixture")
    assert read_everything(vault, opener) == expected_entries(expected)


def test_fixture_opens_by_authenticator(fixture: tuple[Path, dict[str, object]]) -> None:
    directory, expected = fixture
    state = directory / str(expected["authenticator_state"])
    opener = Opener(key_source=soft_source(state))
    entries = expected_entries(expected)
    before = touches(state)
    vault = Vault.open(directory / "vault")
    name = sorted(entries)[0]
    assert vault.read(name, opener, reason="fixture") == entries[name]
    assert touches(state) == before + 1
    assert vault.names() == sorted(entries)


def fixture_keyring(expected: dict[str, object]) -> MemoryKeyring:
    stored = expected["keyring"]
    assert isinstance(stored, dict)
    keyring = MemoryKeyring()
    keyring.set_password(stored["service"], stored["username"], stored["password"])
    return keyring


def test_fixture_accepts_writes(fixture: tuple[Path, dict[str, object]]) -> None:
    directory, expected = fixture
    code = expected["recovery_code"]
    assert isinstance(code, str)
    vault = Vault.open(directory / "vault")
    if vault.version == 1:
        # A version-1 vault with a recovery code is converted on purpose (a new code).
        new_code = vault.upgrade(
            Opener(recovery_code=code, keyring=fixture_keyring(expected)), reason="upgrade"
        )
        assert new_code is not None
        assert new_code != code
        code = new_code
    opener = Opener(recovery_code=code)
    vault.unlock(opener, reason="fixture")
    vault.write("added", b"later")
    again = Vault.open(directory / "vault")
    assert again.version == 2
    assert again.read("added", opener, reason="fixture") == b"later"


def test_v1_fixture_upgrades_with_every_entry(tmp_path: Path) -> None:
    """Migration: the v1 fixture becomes v2; its key reads every entry, one touch each."""
    source = FIXTURES / "v1"
    copy = tmp_path / "fixture"
    shutil.copytree(source, copy)
    os.chmod(copy, 0o700)
    os.chmod(copy / "vault", 0o600)
    expected = json.loads((copy / "expected.json").read_text())
    state = copy / str(expected["authenticator_state"])
    keyring = fixture_keyring(expected)
    vault = Vault.open(copy / "vault")
    assert vault.version == 1
    assert any("format version 1" in line for line in vault.warnings)
    entries = expected_entries(expected)
    before = touches(state)
    code = vault.upgrade(Opener(key_source=soft_source(state), keyring=keyring), reason="upgrade")
    # The keyring releases the v1 vault (no touch); the key then binds the index
    # and the first entry (1) and wraps the other three entries two per touch (2).
    assert touches(state) - before == 3
    assert code is not None
    upgraded = Vault.open(copy / "vault")
    assert upgraded.version == 2
    key = Opener(key_source=soft_source(state))
    for name, value in entries.items():
        spent = touches(state)
        assert upgraded.read(name, key, reason="read") == value
        assert touches(state) == spent + 1
    for opener in (Opener(recovery_code=code), Opener(keyring=keyring)):
        opened = Vault.open(copy / "vault").unlock(opener, reason="read")
        assert read_everything(opened, opener) == entries
    assert [(s.name, s.role) for s in upgraded.slots()][-1] == ("soft key", "everyday")


@given(key=st.binary(min_size=32, max_size=32), plain=st.binary(max_size=300))
def test_raw_fernet_is_fernet(key: bytes, plain: bytes) -> None:
    """The index token is a standard Fernet token, only not base64-encoded."""
    standard = Fernet(base64.urlsafe_b64encode(key))
    ours = crypto.fernet_encrypt_raw(key, plain, 1_700_000_000, bytes(16))
    assert standard.decrypt(base64.urlsafe_b64encode(ours)) == plain
    theirs = base64.urlsafe_b64decode(standard.encrypt(plain))
    assert crypto.fernet_decrypt_raw(key, theirs) == plain


@given(key=st.binary(min_size=32, max_size=32), position=st.integers(min_value=0))
def test_raw_fernet_rejects_any_change(key: bytes, position: int) -> None:
    token = bytearray(crypto.fernet_encrypt_raw(key, b"index", 0, bytes(16)))
    token[position % len(token)] ^= 0x80
    with pytest.raises(InvalidToken):
        crypto.fernet_decrypt_raw(key, bytes(token))


@given(raw=st.binary(min_size=recovery.CODE_BYTES, max_size=recovery.CODE_BYTES))
def test_recovery_codes_round_trip(raw: bytes) -> None:
    code, returned = recovery.generate(lambda size: raw[:size])
    assert returned == raw
    assert len(code) == 39
    assert [len(group) for group in code.split("-")] == [4] * 8
    assert recovery.parse(code) == raw
    assert recovery.parse(code.lower().replace("-", "  ")) == raw


def test_recovery_code_typos_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="has 32 characters"):
        recovery.parse("ABCD")
    with pytest.raises(UsageError, match="'!' cannot appear"):
        recovery.parse("!" * 32)


def test_scrypt_parameters_are_bounded() -> None:
    assert ScryptParams().n == 2**17
    with pytest.raises(ValueError, match="power of two"):
        ScryptParams(n=1000)
    with pytest.raises(ValueError, match="too costly"):
        ScryptParams(n=2**30)


def _header_strategy() -> st.SearchStrategy[layout.Header]:
    token = st.binary(min_size=1, max_size=40).map(lambda raw: base64.urlsafe_b64encode(raw))
    slot_names = st.text(min_size=1, max_size=12)
    credential = st.builds(
        Credential,
        rp_id=st.text(min_size=1, max_size=20),
        credential_id=st.binary(min_size=1, max_size=64),
        uv=st.booleans(),
    )
    slot_ids = st.binary(min_size=8, max_size=8)
    everyday = st.builds(
        layout.AuthenticatorSlot,
        name=slot_names,
        credential=credential,
        role=st.just(layout.EVERYDAY),
        slot_id=slot_ids,
        index_key=st.none() | token,
        escrow_key=st.none(),
    )
    backup = st.builds(
        layout.AuthenticatorSlot,
        name=slot_names,
        credential=credential,
        role=st.just(layout.BACKUP),
        slot_id=slot_ids,
        index_key=st.none(),
        escrow_key=st.none() | token,
    )
    keyring_slot = st.builds(
        layout.KeyringSlot,
        name=slot_names,
        service=st.text(max_size=20),
        username=st.text(max_size=40),
        escrow_key=token,
    )
    recovery_slot = st.builds(
        layout.RecoverySlot,
        name=slot_names,
        scrypt=st.builds(
            ScryptParams,
            n=st.sampled_from([2, 2**10, 2**17]),
            r=st.integers(1, 16),
            p=st.integers(1, 16),
        ),
        salt=st.binary(min_size=16, max_size=16),
        escrow_key=token,
    )
    slots = st.lists(
        st.one_of(everyday, backup, keyring_slot),
        min_size=1,
        max_size=4,
        unique_by=(
            lambda slot: slot.name,
            lambda slot: getattr(slot, "slot_id", slot.name.encode() + b"\x00" * 9),
        ),
    )
    with_recovery = st.tuples(slots, st.none() | recovery_slot).map(
        lambda pair: (
            tuple(pair[0])
            + (
                (pair[1],)
                if pair[1] is not None and all(s.name != pair[1].name for s in pair[0])
                else ()
            )
        )
    )
    return st.builds(
        layout.Header,
        vault_id=st.binary(min_size=16, max_size=16),
        epoch=st.binary(min_size=16, max_size=16),
        escrow_salt=st.binary(min_size=32, max_size=32),
        escrow_public=st.binary(min_size=32, max_size=32),
        index_escrow=st.binary(min_size=80, max_size=80),
        slots=with_recovery,
    )


@given(header=_header_strategy())
def test_header_round_trips(header: layout.Header) -> None:
    line = layout.encode_header(header)
    assert b"\n" not in line
    assert layout.decode_header(line) == header


@given(
    entries=st.dictionaries(
        entry_names,
        st.tuples(
            st.binary(min_size=80, max_size=80),
            st.dictionaries(
                st.binary(min_size=8, max_size=8), st.binary(min_size=60, max_size=60), max_size=3
            ),
            st.binary(max_size=100),
        ),
        max_size=20,
    ),
    digest=st.binary(min_size=32, max_size=32),
    generation=st.integers(0, 2**64 - 1),
)
def test_index_round_trips(
    entries: dict[str, tuple[bytes, dict[bytes, bytes], bytes]], digest: bytes, generation: int
) -> None:
    records = {
        name: layout.pack_record(layout.Record(name.encode(), sealed, wraps, token))
        for name, (sealed, wraps, token) in entries.items()
    }
    plain = layout.pack_index(digest, generation, records.values(), len(records))
    got_digest, got_generation, got = layout.unpack_index(plain)
    assert (got_digest, got_generation) == (digest, generation)
    assert got == records
    for name, (sealed, wraps, token) in entries.items():
        assert layout.unpack_record(got[name]) == layout.Record(name.encode(), sealed, wraps, token)
        for slot_id in wraps:
            assert layout.record_has_wrap(got[name], slot_id)
