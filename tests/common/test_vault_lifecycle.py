"""Key lifecycle: revocation on remove-slot and rotate, rollback refusal, recovery, restore."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from secrets_common.errors import UsageError, VaultError, WrongKeyError
from secrets_common.vault import (
    NewAuthenticatorSlot,
    NewRecoverySlot,
    NotEnrolledError,
    Opener,
    Vault,
)
from secrets_common.vault.rollback import STATE_NAME, GenerationLog, RollbackError
from tests.common.vault_strategies import CHEAP_SCRYPT, soft_source, touches


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "vaults" / "ring.vault"


def _vault_with_two_keys(path: Path, tmp_path: Path) -> tuple[Vault, Path, Path, str]:
    home, office = tmp_path / "home.json", tmp_path / "office.json"
    vault, code = Vault.create(
        path,
        NewAuthenticatorSlot("home", soft_source(home)),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    assert code is not None
    vault.write("old", b"before", Opener(key_source=soft_source(home)))
    # The recovery code releases the entry keys; the office key wraps them.
    vault.enroll(
        NewAuthenticatorSlot("office", soft_source(office)),
        Opener(key_source=soft_source(home), recovery_code=code),
        reason="enrol",
    )
    assert vault.pending("office") == []
    return vault, home, office, code


def test_removed_key_with_an_old_copy_reads_nothing_written_after(
    path: Path, tmp_path: Path
) -> None:
    vault, home, office, _ = _vault_with_two_keys(path, tmp_path)
    old_copy = tmp_path / "copy"
    old_copy.mkdir(mode=0o700)
    shutil.copy(path, old_copy / "ring.vault")
    exposed = vault.remove_slot("office", opener=Opener(key_source=soft_source(home)))
    assert exposed == 1, "the removed key could read 'old': the CLI says a copy exposes it"
    vault.write("new", b"after", Opener(key_source=soft_source(home)))
    removed = Opener(key_source=soft_source(office))

    # The current file: the key is not enrolled any more.
    with pytest.raises(NotEnrolledError):
        Vault.open(path).read("new", removed, reason="r")
    # The old copy: it opens (the old index), but it has no 'new'.
    stale = Vault.open(old_copy / "ring.vault", guard=GenerationLog(None))
    stale.unlock(removed, reason="r")
    assert "new" not in stale.names()
    # Splicing: the old copy's header (where the key is enrolled) on the new index.
    old_line = (old_copy / "ring.vault").read_bytes().split(b"\n", 1)[0]
    new_body = path.read_bytes().split(b"\n", 1)[1]
    spliced = tmp_path / "spliced"
    spliced.mkdir(mode=0o700)
    (spliced / "ring.vault").write_bytes(old_line + b"\n" + new_body)
    os.chmod(spliced / "ring.vault", 0o600)
    with pytest.raises(VaultError, match=r"does not decrypt|tampered"):
        Vault.open(spliced / "ring.vault", guard=GenerationLog(None)).read(
            "new", removed, reason="r"
        )
    # The key that stays reads everything.
    assert (
        Vault.open(path).read("new", Opener(key_source=soft_source(home)), reason="r") == b"after"
    )


def test_rotate_retires_the_old_recovery_code(path: Path, tmp_path: Path) -> None:
    vault, home, _, code = _vault_with_two_keys(path, tmp_path)
    old_copy = tmp_path / "copy"
    old_copy.mkdir(mode=0o700)
    shutil.copy(path, old_copy / "ring.vault")
    new_code = vault.rotate(Opener(key_source=soft_source(home), recovery_code=code), reason="r")
    assert new_code is not None
    vault.write("new", b"after", Opener(key_source=soft_source(home)))
    with pytest.raises(VaultError, match="does not open"):
        Vault.open(path).read("new", Opener(recovery_code=code), reason="r")
    old_line = (old_copy / "ring.vault").read_bytes().split(b"\n", 1)[0]
    spliced = tmp_path / "spliced"
    spliced.mkdir(mode=0o700)
    (spliced / "ring.vault").write_bytes(old_line + b"\n" + path.read_bytes().split(b"\n", 1)[1])
    os.chmod(spliced / "ring.vault", 0o600)
    with pytest.raises(VaultError, match=r"tampered|does not"):
        Vault.open(spliced / "ring.vault", guard=GenerationLog(None)).read(
            "new", Opener(recovery_code=code), reason="r"
        )
    assert Vault.open(path).read("new", Opener(recovery_code=new_code), reason="r") == b"after"


def test_an_older_copy_is_refused(path: Path, tmp_path: Path) -> None:
    vault, home, _, _ = _vault_with_two_keys(path, tmp_path)
    key = Opener(key_source=soft_source(home))
    older = path.read_bytes()
    generation = vault.generation
    vault.write("newer", b"x", key)
    path.write_bytes(older)
    spent = touches(home)
    with pytest.raises(RollbackError) as refused:
        Vault.open(path).read("old", key, reason="r")
    message = str(refused.value)
    assert f"generation {generation}" in message
    assert f"generation {generation + 1}" in message
    assert "\n" not in message
    assert refused.value.exit_code == 4
    assert touches(home) == spent + 1
    with pytest.raises(RollbackError):
        vault.write("more", b"y", key)
    assert path.read_bytes() == older, "nothing is written into a refused file"
    # The state file is 0600 and names the generation.
    state = Path(os.environ["SECRETS_HOME"]) / STATE_NAME
    assert state.stat().st_mode & 0o777 == 0o600
    assert json.loads(state.read_text())["generations"][vault.vault_id] == generation + 1


def test_another_vault_at_the_same_path_is_refused(path: Path, tmp_path: Path) -> None:
    _, home, _, _ = _vault_with_two_keys(path, tmp_path)
    other = tmp_path / "elsewhere" / "ring.vault"
    Vault.create(other, NewAuthenticatorSlot("home", soft_source(home)))
    shutil.copy(other, path)
    with pytest.raises(RollbackError, match="was last seen there"):
        Vault.open(path).unlock(Opener(key_source=soft_source(home)), reason="r")


def test_restore_puts_a_backup_back_on_purpose(path: Path, tmp_path: Path) -> None:
    vault, home, _, _ = _vault_with_two_keys(path, tmp_path)
    key = Opener(key_source=soft_source(home))
    backup = tmp_path / "backup"
    backup.mkdir(mode=0o700)
    shutil.copy(path, backup / "ring.vault")
    vault.write("lost", b"x", key)
    restored = Vault.restore(backup / "ring.vault", path, key, reason="restore")
    assert restored.generation > vault.generation
    assert Vault.open(path).read("old", key, reason="r") == b"before"
    assert "lost" not in Vault.open(path).unlock(key, reason="r").names()


def test_recover_after_losing_every_key(path: Path, tmp_path: Path) -> None:
    vault, home, office, code = _vault_with_two_keys(path, tmp_path)
    vault.write("second", b"2", Opener(key_source=soft_source(home)))
    home.unlink()
    office.unlink()
    new_key = tmp_path / "new.json"
    with pytest.raises(VaultError, match="does not open"):
        Vault.open(path).recover(
            "0000-0000-0000-0000-0000-0000-0000-0000",
            NewAuthenticatorSlot("new", soft_source(new_key)),
        )
    new_code = Vault.open(path).recover(
        code.lower().replace("-", ""),
        NewAuthenticatorSlot("new", soft_source(new_key)),
        remove=["home", "office"],
        recovery_scrypt=CHEAP_SCRYPT,
    )
    assert new_code is not None
    assert new_code != code
    assert [slot.name for slot in Vault.open(path).slots()] == ["recovery", "new"]
    fresh = Opener(key_source=soft_source(new_key))
    for name, value in (("old", b"before"), ("second", b"2")):
        spent = touches(new_key)
        assert Vault.open(path).read(name, fresh, reason="r") == value
        assert touches(new_key) == spent + 1
    with pytest.raises(VaultError, match="does not open"):
        Vault.open(path).unlock(Opener(recovery_code=code), reason="r")
    assert Vault.open(path).read("old", Opener(recovery_code=new_code), reason="r") == b"before"


def test_recover_with_an_enrolled_key_changes_nothing(path: Path, tmp_path: Path) -> None:
    _, home, _, code = _vault_with_two_keys(path, tmp_path)
    before = path.read_bytes()
    spent = touches(home)
    with pytest.raises(WrongKeyError, match="already enrolled"):
        Vault.open(path).recover(
            code, NewAuthenticatorSlot("again", soft_source(home)), recovery_scrypt=CHEAP_SCRYPT
        )
    assert path.read_bytes() == before, "the code is not retired by a recovery that failed"
    assert touches(home) == spent
    # The key of a slot being removed may be enrolled again in its place.
    Vault.open(path).recover(
        code,
        NewAuthenticatorSlot("home-again", soft_source(home)),
        remove=["home"],
        recovery_scrypt=CHEAP_SCRYPT,
    )
    assert [slot.name for slot in Vault.open(path).slots()] == ["recovery", "office", "home-again"]


def test_a_keyring_slot_naming_another_item_is_refused(path: Path) -> None:
    from secrets_common.vault import NewKeyringSlot
    from tests.common.vault_strategies import MemoryKeyring

    keyring = MemoryKeyring()
    Vault.create(path, NewKeyringSlot(keyring))
    line, body = path.read_bytes().split(b"\n", 1)
    header = json.loads(line)
    header["slots"][0]["username"] = "someone-else"
    path.write_bytes(json.dumps(header, separators=(",", ":")).encode() + b"\n" + body)
    asked: list[str] = []

    class Watching(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            asked.append(username)
            return super().get_password(service, username)

    with pytest.raises(VaultError, match="not this vault's own keyring item"):
        Vault.open(path).unlock(Opener(keyring=Watching()), reason="r")
    assert asked == []


def test_remove_slot_refuses_the_last_security_key(path: Path, tmp_path: Path) -> None:
    key = tmp_path / "k.json"
    vault, _ = Vault.create(
        path,
        NewAuthenticatorSlot("k", soft_source(key)),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    with pytest.raises(UsageError, match="last security key"):
        vault.remove_slot("k")


def test_forgetting_a_vault_for_good_keeps_the_others_and_then_nothing(tmp_path: Path) -> None:
    state = tmp_path / "home" / STATE_NAME
    log = GenerationLog(state)
    log.record(tmp_path / "a", "aa" * 16, 3)
    log.record(tmp_path / "b", "bb" * 16, 5)
    log.forget_vault(tmp_path / "a", "aa" * 16)
    again = GenerationLog(state)
    assert again.last("aa" * 16) == 0
    assert again.last("bb" * 16) == 5
    again.check(tmp_path / "a", "cc" * 16, 1)  # the path is free for another vault
    again.forget_vault(tmp_path / "b", "bb" * 16)
    # Nothing left to remember: the state file and its lock are gone.
    assert sorted(p.name for p in state.parent.iterdir()) == []
