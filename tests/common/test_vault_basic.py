"""The vault's API with keyring and recovery-code slots: entries, slots, errors."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import filelock
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from secrets_common.errors import NotFoundError, UsageError, VaultError, VaultLockedError
from secrets_common.vault import (
    KeyringUnavailableError,
    NewKeyringSlot,
    NewRecoverySlot,
    NotUnlockedError,
    Opener,
    SlotOpenError,
    Vault,
    VaultRekeyedError,
)
from tests.common.vault_strategies import CHEAP_SCRYPT, MemoryKeyring


@pytest.fixture
def keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "vaults" / "test.vault"


def make(path: Path, keyring: MemoryKeyring) -> tuple[Vault, str]:
    vault, code = Vault.create(
        path, NewKeyringSlot(keyring), recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT)
    )
    assert code is not None
    return vault, code


def test_write_read_list_delete(path: Path, keyring: MemoryKeyring) -> None:
    vault, _ = make(path, keyring)
    opener = Opener(keyring=keyring)
    vault.write("b", b"2")
    vault.write("a", b"1")
    vault.write("a", b"one")
    assert vault.names() == ["a", "b"]
    assert vault.read("a", opener, reason="test") == b"one"
    vault.delete("a")
    assert vault.names() == ["b"]
    assert "b" in vault
    assert "a" not in vault
    with pytest.raises(NotFoundError, match="no entry 'a'"):
        vault.delete("a")
    with pytest.raises(NotFoundError, match="no entry 'a'"):
        vault.read("a", opener, reason="test")


def test_reopen_by_keyring_or_recovery_code(path: Path, keyring: MemoryKeyring) -> None:
    vault, code = make(path, keyring)
    vault.write_many({"x": b"\x00\xff", "y": b""})
    by_keyring = Vault.open(path).unlock(Opener(keyring=keyring), reason="test")
    assert by_keyring.names() == ["x", "y"]
    # A hand-copied code: lower case, spaces instead of dashes, O for 0.
    typed = code.lower().replace("-", " ").replace("0", "o")
    by_code = Vault.open(path)
    assert by_code.read("x", Opener(recovery_code=typed), reason="test") == b"\x00\xff"
    assert by_code.is_unlocked
    assert by_code.read("y", Opener(recovery_code=code), reason="test") == b""


def test_new_file_is_private(path: Path, keyring: MemoryKeyring) -> None:
    make(path, keyring)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_create_refuses_an_existing_file(path: Path, keyring: MemoryKeyring) -> None:
    make(path, keyring)
    with pytest.raises(UsageError, match="already exists"):
        make(path, keyring)


def test_locked_vault_refuses_index_operations(path: Path, keyring: MemoryKeyring) -> None:
    make(path, keyring)
    vault = Vault.open(path)
    assert not vault.is_unlocked
    with pytest.raises(NotUnlockedError, match="is locked; unlock it first"):
        vault.names()
    with pytest.raises(NotUnlockedError):
        vault.write("a", b"1")
    assert [slot.kind for slot in vault.slots()] == ["keyring", "recovery"]


def test_wrong_types_are_type_errors(path: Path, keyring: MemoryKeyring) -> None:
    vault, _ = make(path, keyring)
    with pytest.raises(TypeError, match="must be bytes"):
        vault.write("a", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be str"):
        vault.write(b"a", b"1")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="1 to 65535 bytes"):
        vault.write("", b"1")
    with pytest.raises(UsageError, match="valid Unicode text"):
        vault.write("half \ud800 pair", b"1")


def test_wrong_recovery_code(path: Path, keyring: MemoryKeyring) -> None:
    make(path, keyring)
    other_path = path.with_name("other.vault")
    _, other_code = make(other_path, MemoryKeyring())
    with pytest.raises(SlotOpenError, match="this recovery code does not open"):
        Vault.open(path).unlock(Opener(recovery_code=other_code), reason="test")
    with pytest.raises(UsageError, match="32 characters"):
        Vault.open(path).unlock(Opener(recovery_code="ABCD-EFGH"), reason="test")
    with pytest.raises(UsageError, match="'U' cannot appear"):
        Vault.open(path).unlock(Opener(recovery_code="U" * 32), reason="test")


def test_nothing_fits(path: Path, keyring: MemoryKeyring) -> None:
    make(path, keyring)
    with pytest.raises(SlotOpenError) as raised:
        Vault.open(path).unlock(Opener(keyring=MemoryKeyring()), reason="test")
    message = str(raised.value)
    assert "the keyring holds no secret for slot 'keyring'" in message
    assert "'recovery' (recovery)" in message
    assert "\n" not in message


def test_keyring_without_backend_is_one_clear_error(path: Path) -> None:
    with pytest.raises(KeyringUnavailableError, match=r"^no usable OS keyring: install"):
        Vault.create(path, NewKeyringSlot(NoKeyring()))  # type: ignore[no-untyped-call]
    assert not path.exists()


def test_another_object_sees_writes(path: Path, keyring: MemoryKeyring) -> None:
    first, _ = make(path, keyring)
    second = Vault.open(path).unlock(Opener(keyring=keyring), reason="test")
    first.write("from-first", b"1")
    assert second.names() == ["from-first"]
    second.write("from-second", b"2")
    second.delete("from-first")
    assert first.names() == ["from-second"]
    assert first.read("from-second", Opener(keyring=keyring), reason="test") == b"2"


def test_rotation_elsewhere_is_reported(path: Path, keyring: MemoryKeyring) -> None:
    first, _ = make(path, keyring)
    first.write("a", b"1")
    second = Vault.open(path).unlock(Opener(keyring=keyring), reason="test")
    second.rotate(Opener(keyring=keyring), reason="test")
    with pytest.raises(VaultRekeyedError, match="was re-keyed by another process"):
        first.write("b", b"2")
    assert not first.is_unlocked
    first.unlock(Opener(keyring=keyring), reason="test")
    first.write("b", b"2")
    assert second.names() == ["a", "b"]


def test_rotate_renews_every_secret(path: Path, keyring: MemoryKeyring) -> None:
    vault, old_code = make(path, keyring)
    vault.write_many({"a": b"1", "b": b"2"})
    old_file = path.read_bytes()
    old_keyring = dict(keyring.store)
    new_code = vault.rotate(Opener(keyring=keyring), reason="test", recovery_scrypt=CHEAP_SCRYPT)
    assert new_code is not None
    assert new_code != old_code
    # The old keyring secret is deleted and a new one stored.
    assert set(keyring.store).isdisjoint(old_keyring)
    reopened = Vault.open(path)
    assert reopened.read("a", Opener(recovery_code=new_code), reason="test") == b"1"
    with pytest.raises(SlotOpenError):
        Vault.open(path).unlock(Opener(recovery_code=old_code), reason="test")
    # Nothing of the old header (salts, read key, vault epoch) survives but the id.
    old_header, new_header = old_file.split(b"\n")[0], path.read_bytes().split(b"\n")[0]
    assert old_header != new_header
    assert vault.names() == ["a", "b"]


def test_slots_enroll_and_remove(path: Path, keyring: MemoryKeyring) -> None:
    vault, _ = Vault.create(path, NewKeyringSlot(keyring))
    assert vault.warnings == []
    second = MemoryKeyring()
    code = vault.enroll(
        NewKeyringSlot(second, name="laptop"), Opener(keyring=keyring), reason="test"
    )
    assert code is None
    assert [s.name for s in vault.slots()] == ["keyring", "laptop"]
    with pytest.raises(UsageError, match="already a slot called 'laptop'"):
        vault.enroll(NewKeyringSlot(second, name="laptop"), Opener(keyring=keyring), reason="t")
    vault.write("a", b"1")
    # Removing an escrow opener re-keys the escrow: the other keyring slot gets a
    # fresh secret in its own keyring, and the removed slot's secret is deleted.
    before = dict(second.store)
    exposed = vault.remove_slot("keyring", keyring=keyring, opener=Opener(keyring=second))
    assert exposed == 1
    assert keyring.store == {}
    assert second.store != before
    assert len(second.store) == 1
    assert Vault.open(path).read("a", Opener(keyring=second), reason="test") == b"1"
    with pytest.raises(UsageError, match="'laptop' is the last slot"):
        vault.remove_slot("laptop")
    with pytest.raises(NotFoundError, match=r"no slot 'nope'.*slots: 'laptop'"):
        vault.remove_slot("nope")


def test_only_one_recovery_slot(path: Path, keyring: MemoryKeyring) -> None:
    vault, _ = make(path, keyring)
    with pytest.raises(UsageError, match="already has a recovery code"):
        vault.enroll(
            NewRecoverySlot(name="second", scrypt=CHEAP_SCRYPT),
            Opener(keyring=keyring),
            reason="test",
        )


def test_busy_lock_is_reported(path: Path, keyring: MemoryKeyring) -> None:
    make(path, keyring)
    vault = Vault.open(path, lock_timeout=0).unlock(Opener(keyring=keyring), reason="test")
    holder = filelock.FileLock(path.with_name(path.name + ".lock"), is_singleton=False)
    with holder, pytest.raises(VaultLockedError, match="is locked by another process"):
        vault.write("a", b"1")
    vault.write("a", b"1")
    assert vault.names() == ["a"]


def test_injected_clock_sets_token_times(path: Path, keyring: MemoryKeyring) -> None:
    vault, _ = Vault.create(path, NewKeyringSlot(keyring), clock=lambda: 1_000_000.0)
    vault.write("a", b"1")
    body = path.read_bytes().split(b"\n", 1)[1]
    # A Fernet token: version byte, then the big-endian timestamp.
    assert body[0] == 0x80
    assert int.from_bytes(body[1:9], "big") == 1_000_000


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no vault at"):
        Vault.open(tmp_path / "nothing")
    os.chmod(tmp_path, 0o700)


class MeddlingKeyring(MemoryKeyring):
    """Runs ``hook`` once, the first time a secret is stored: a race made to order."""

    def __init__(self) -> None:
        super().__init__()
        self.hook: Callable[[], None] | None = None

    def set_password(self, service: str, username: str, password: str) -> None:
        super().set_password(service, username, password)
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()


def test_rotation_racing_an_enrolment_loses_neither(path: Path) -> None:
    keyring = MeddlingKeyring()
    vault, _ = Vault.create(path, NewKeyringSlot(keyring))
    vault.write("a", b"1")
    late = MemoryKeyring()

    def enrol_elsewhere() -> None:
        other = Vault.open(path).unlock(Opener(keyring=keyring), reason="test")
        other.enroll(NewKeyringSlot(late, name="late"), Opener(keyring=keyring), reason="t")

    keyring.hook = enrol_elsewhere
    with pytest.raises(VaultError, match="changed during rotation; rotate again"):
        vault.rotate(Opener(keyring=keyring), reason="test")
    assert [slot.name for slot in Vault.open(path).slots()] == ["keyring", "late"]
    assert Vault.open(path).read("a", Opener(keyring=late), reason="test") == b"1"
    vault.rotate(Opener(keyring=keyring), reason="test")
    assert Vault.open(path).read("a", Opener(keyring=keyring), reason="test") == b"1"


def test_reads_never_write(path: Path, keyring: MemoryKeyring) -> None:
    vault, _ = make(path, keyring)
    vault.write("a", b"1")
    before = path.stat()
    reader = Vault.open(path)
    assert reader.read("a", Opener(keyring=keyring), reason="test") == b"1"
    assert reader.names() == ["a"]
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert repr(reader) == f"<Vault {str(path)!r} unlocked>"
    reader.lock()
    assert repr(reader) == f"<Vault {str(path)!r} locked>"


def test_recovery_code_added_later(path: Path, keyring: MemoryKeyring) -> None:
    vault, code = Vault.create(path, NewKeyringSlot(keyring))
    assert code is None
    vault.write("a", b"1")
    code = vault.enroll(
        NewRecoverySlot(scrypt=CHEAP_SCRYPT), Opener(keyring=keyring), reason="test"
    )
    assert code is not None
    keyring.store.clear()  # the keyring is lost
    assert Vault.open(path).read("a", Opener(recovery_code=code), reason="test") == b"1"
