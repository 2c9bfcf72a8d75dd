"""Importing vaults written by the released original TokenRing.

The vaults and key states under tests/fixtures/tokenring-original/ were
written by the originals' own ``tokenring set`` (see PROVENANCE.md there);
each test works on copies, with the soft key that wrote them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import attrs
import pexpect
import pytest

from secrets_common.fido.interaction import PlainInteraction
from secrets_common.vault import Opener
from tests.cli import run, script
from tests.tokenring.conftest import touches
from tokenring import keys
from tokenring.legacy import LegacyFormatError, LegacyVault
from tokenring.service import TokenRing

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tokenring-original"
WITHOUT_PIN = ["2025.2.19", "2023.4.22"]


@attrs.frozen
class Original:
    """Copies of one fixture: the original's vault file and its soft key."""

    vault: Path
    key: Path
    pin: str | None
    entries: list[tuple[str, str, str]]
    written_with: int
    """The key's touch count when the original was done with it."""

    def touches(self) -> int:
        """Touches granted since the original wrote the vault."""
        return touches(self.key) - self.written_with

    @property
    def env(self) -> dict[str, str]:
        return {"SECRETS_AUTHENTICATOR": f"soft:{self.key}"}


def copy_of(name: str, tmp_path: Path) -> Original:
    source = FIXTURES / name
    expected = json.loads((source / "expected.json").read_text())
    target = tmp_path / "original"
    target.mkdir()
    vault = target / expected["vault"]
    key = target / "soft-key.json"
    shutil.copyfile(source / expected["vault"], vault)
    shutil.copyfile(source / expected["authenticator_state"], key)
    entries = [(service, user, password) for service, user, password in expected["entries"]]
    return Original(vault, key, expected["pin"], entries, expected["touches"])


@pytest.fixture(params=WITHOUT_PIN)
def original(request: pytest.FixtureRequest, tmp_path: Path) -> Original:
    return copy_of(request.param, tmp_path)


def import_touches(entries: int) -> int:
    """One for the entry list, one per two entries, one to enrol the key, and
    (vault format 2) one per two entries, after the first, to wrap them for it."""
    return 1 + (entries + 1) // 2 + 1 + 1 + entries // 2


def test_the_fixtures_hold_what_they_promise() -> None:
    for name in [*WITHOUT_PIN, "2025.2.19-pin"]:
        expected = json.loads((FIXTURES / name / "expected.json").read_text())
        services = {service for service, _, _ in expected["entries"]}
        passwords = [password for _, _, password in expected["entries"]]
        assert any(not service.isascii() for service in services)
        assert "" in passwords
        assert max(map(len, passwords)) > 900


def test_cli_imports_every_entry_intact(original: Original, tmp_path: Path) -> None:
    before = original.vault.read_bytes()
    new = tmp_path / "new-vault"
    imported = run(
        "tokenring", "import-legacy", str(original.vault), "--vault", str(new), env=original.env
    )
    assert imported.returncode == 0, imported.stderr
    count = len(original.entries)
    assert f"imported {count} entries" in imported.stderr
    assert original.touches() == import_touches(count)
    assert original.vault.read_bytes() == before
    ring = TokenRing(vault=new, socket=str(tmp_path / "no-agent"), use_agent=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SECRETS_AUTHENTICATOR", f"soft:{original.key}")
        assert ring.entries() == sorted((service, user) for service, user, _ in original.entries)
        for service, user, password in original.entries:
            assert ring.get(service, user) == password


def test_a_non_ascii_entry_reads_back_through_the_cli(original: Original, tmp_path: Path) -> None:
    assert run("tokenring", "import-legacy", str(original.vault), env=original.env).returncode == 0
    service, user, password = next(e for e in original.entries if not e[0].isascii())
    got = run("tokenring", "get", service, user, env=original.env)
    assert got.returncode == 0, got.stderr
    assert got.stdout == password + "\n"


@dataclasses.dataclass(slots=True)
class TypedPin(PlainInteraction):
    """Someone who types ``pin`` whenever the key asks for it."""

    pin: str = ""

    def ask_pin(self, authenticator: str, reason: str) -> str | None:
        return self.pin


def test_a_key_with_a_pin_reads_without_it_and_enrols_with_it(tmp_path: Path) -> None:
    """The original never asked for the PIN (python-fido2 1.x leaves UV out
    unless required); the new vault's credential uses it, as the key has one."""
    original = copy_of("2025.2.19-pin", tmp_path)
    assert original.pin is not None
    new = tmp_path / "new-vault"
    child = pexpect.spawn(
        script("tokenring"),
        ["import-legacy", str(original.vault), "--vault", str(new), "--no-recovery-code"],
        env={**os.environ, **original.env},
        encoding="utf-8",
        timeout=60,
    )
    child.expect(r"PIN of .*\(to enrol your key .*\): ")
    reading = str(child.before)
    child.sendline(original.pin)
    # Format 2: wrapping the imported entries for the new credential asks again.
    later_prompts = []
    while child.expect([r"PIN of [^\r\n]*\(to ([^\r\n]*)\): ", pexpect.EOF]) == 0:
        later_prompts.append(child.match.group(1))
        child.sendline(original.pin)
    child.close()
    output = str(child.before)
    assert child.exitstatus == 0, output
    # Reading the original's entries needed no PIN; only the new vault's
    # credential (enrolment, then wrapping the entries for it) asked.
    assert "to read 'long' / 'user'" in reading
    assert "PIN" not in reading
    assert all("imported entries" in prompt for prompt in later_prompts), later_prompts
    assert original.touches() == import_touches(len(original.entries))

    def opener() -> Opener:
        return keys.opener(original.env, TypedPin(pin=original.pin or ""))

    ring = TokenRing(
        vault=new, socket=str(tmp_path / "no-agent"), use_agent=False, opener_factory=opener
    )
    for service, user, password in original.entries:
        assert ring.get(service, user) == password


def test_a_second_import_refuses_to_overwrite(original: Original) -> None:
    assert run("tokenring", "import-legacy", str(original.vault), env=original.env).returncode == 0
    again = run("tokenring", "import-legacy", str(original.vault), env=original.env)
    assert again.returncode == 2
    assert again.stderr.startswith("error: ")
    assert "already exists" in again.stderr
    assert len(again.stderr.splitlines()) == 1


def test_another_key_is_one_line_and_writes_nothing(original: Original, tmp_path: Path) -> None:
    other = tmp_path / "other-key.json"
    new = tmp_path / "new-vault"
    got = run(
        "tokenring",
        "import-legacy",
        str(original.vault),
        "--vault",
        str(new),
        env={"SECRETS_AUTHENTICATOR": f"soft:{other}"},
    )
    assert got.returncode == 3
    assert got.stderr.splitlines()[-1].startswith("error: ")
    assert "Traceback" not in got.stderr
    assert not new.exists()


def _document(original: Original) -> dict[str, object]:
    document = json.loads(original.vault.read_text())
    assert isinstance(document, dict)
    return document


def _flip_data(original: Original) -> str:
    document = _document(original)
    data = bytearray(bytes.fromhex(str(document["data"])))
    data[-5] ^= 1
    document["data"] = data.hex()
    return json.dumps(document)


def _other_credential(original: Original) -> str:
    document = _document(original)
    key = document["key"]
    assert isinstance(key, dict)
    credential_id = bytearray(bytes.fromhex(key["credential"]["credential_id"]))
    credential_id[-1] ^= 1
    key["credential"]["credential_id"] = credential_id.hex()
    return json.dumps(document)


def _short_salt(original: Original) -> str:
    document = _document(original)
    key = document["key"]
    assert isinstance(key, dict)
    key["salt"] = key["salt"][:30]
    return json.dumps(document)


def _no_data(original: Original) -> str:
    document = _document(original)
    del document["data"]
    return json.dumps(document)


def _cut(original: Original) -> str:
    text = original.vault.read_text()
    return text[: len(text) // 2]


@pytest.mark.parametrize(
    ("damage", "status", "touched"),
    [
        (_flip_data, 4, 1),
        (_other_credential, 3, 0),
        (_short_salt, 4, 0),
        (_no_data, 4, 0),
        (_cut, 4, 0),
    ],
)
def test_a_damaged_original_is_one_line(
    original: Original, tmp_path: Path, damage: object, status: int, touched: int
) -> None:
    assert callable(damage)
    original.vault.write_text(damage(original))
    new = tmp_path / "new-vault"
    got = run(
        "tokenring", "import-legacy", str(original.vault), "--vault", str(new), env=original.env
    )
    assert got.returncode == status, got.stderr
    lines = [line for line in got.stderr.splitlines() if not line.startswith(("warning:", "Touch"))]
    assert len(lines) == 1, got.stderr
    assert lines[0].startswith("error: ")
    assert original.touches() == touched
    assert not new.exists()


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
def test_foreign_files_are_refused_before_any_touch(tmp_path: Path, document: str) -> None:
    path = tmp_path / "foreign.json"
    path.write_text(document)
    key = tmp_path / "key.json"
    with pytest.raises(LegacyFormatError):
        LegacyVault.load(path)
    got = run("tokenring", "import-legacy", str(path), env={"SECRETS_AUTHENTICATOR": f"soft:{key}"})
    assert got.returncode == 4
    assert len(got.stderr.strip().splitlines()) == 1
    assert touches(key) == 0


@pytest.mark.parametrize("where", ["/dev/zero", "directory", "fifo"])
def test_files_that_never_end_are_refused_at_once(tmp_path: Path, where: str) -> None:
    if where == "directory":
        path = tmp_path
    elif where == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    else:
        path = Path(where)
    key = tmp_path / "key.json"
    got = run("tokenring", "import-legacy", str(path), env={"SECRETS_AUTHENTICATOR": f"soft:{key}"})
    assert got.returncode == 4
    assert got.stderr.splitlines()[-1].startswith("error: ")
    assert touches(key) == 0


def test_without_a_path_the_originals_own_place_is_read(original: Original, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "python_keyring").mkdir(parents=True)
    shutil.copyfile(original.vault, data / "python_keyring" / "keyring.tokenvault")
    env = {**original.env, "XDG_DATA_HOME": str(data)}
    imported = run("tokenring", "import-legacy", env=env)
    assert imported.returncode == 0, imported.stderr
    assert f"imported {len(original.entries)} entries" in imported.stderr
    missing = run(
        "tokenring",
        "import-legacy",
        "--vault",
        str(tmp_path / "another-vault"),
        env={**env, "XDG_DATA_HOME": str(tmp_path)},
    )
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"error: no file {tmp_path / 'python_keyring' / 'keyring.tokenvault'}"
    ]
