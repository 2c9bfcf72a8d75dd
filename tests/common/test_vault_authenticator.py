"""Authenticator slots through the real FIDO2 key source and SoftAuthenticators.

Touches are counted in each SoftAuthenticator's state file, so these tests
check the touch budget of docs/vault-format.md (format 2) as a user would feel it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secrets_common.errors import (
    NotFoundError,
    PresenceError,
    UsageError,
    VaultError,
    WrongKeyError,
)
from secrets_common.vault import (
    NewAuthenticatorSlot,
    NewRecoverySlot,
    NotEnrolledError,
    Opener,
    Vault,
)
from tests.common.vault_strategies import CHEAP_SCRYPT, soft_source, touches


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path, Path]:
    return tmp_path / "blue.json", tmp_path / "green.json", tmp_path / "stranger.json"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "vaults" / "ring.vault"


def test_touch_budget(path: Path, keys: tuple[Path, Path, Path]) -> None:
    blue = keys[0]
    source = soft_source(blue)
    opener = Opener(key_source=source)

    vault, code = Vault.create(path, NewAuthenticatorSlot("blue", source))
    assert code is None
    assert touches(blue) == 1, "enrolment with hmac-secret-mc"

    vault.write("pypi", b"token-1", opener)
    assert touches(blue) == 2, "a write costs one touch (index salt + the entry's salt)"
    vault.write("github", b"token-2", opener)
    assert touches(blue) == 3
    vault.delete("github")
    assert vault.names() == ["pypi"]
    assert touches(blue) == 3, "deletes and listing while unlocked are free"

    assert vault.read("pypi", opener, reason="read pypi") == b"token-1"
    assert touches(blue) == 4, "a read while unlocked costs one touch"
    assert vault.read("pypi", opener, reason="read pypi") == b"token-1"
    assert touches(blue) == 5, "and again: nothing is cached"
    with pytest.raises(NotFoundError):
        vault.read("nope", opener, reason="read")
    assert touches(blue) == 5, "an unlocked vault knows an entry is missing without a touch"

    cold = Vault.open(path)
    assert touches(blue) == 5, "opening the file is free"
    assert cold.read("pypi", opener, reason="read pypi") == b"token-1"
    assert touches(blue) == 6, "a cold read costs exactly one touch"
    assert cold.names() == ["pypi"]
    assert touches(blue) == 6, "and leaves the index unlocked"

    lister = Vault.open(path).unlock(opener, reason="list")
    assert lister.names() == ["pypi"]
    assert touches(blue) == 7, "a cold list costs one touch"
    writer = Vault.open(path)
    writer.write("new", b"value", opener, reason="store new")
    assert touches(blue) == 8, "a cold write costs one touch too"
    assert Vault.open(path).read("new", opener, reason="r") == b"value"
    assert touches(blue) == 9
    writer.write_many({"x": b"1", "y": b"2", "z": b"3"}, opener)
    assert touches(blue) == 11, "three entries: (index, x), then (y, z)"


def test_write_without_a_key_is_left_to_sync(path: Path, keys: tuple[Path, Path, Path]) -> None:
    blue = keys[0]
    opener = Opener(key_source=soft_source(blue))
    vault, code = Vault.create(
        path,
        NewAuthenticatorSlot("blue", soft_source(blue)),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    assert code is not None
    vault.write("later", b"v")
    assert vault.pending("blue") == ["later"]
    with pytest.raises(VaultError, match="run `tokenring sync`"):
        vault.read("later", opener, reason="r")
    assert vault.read("later", Opener(recovery_code=code), reason="r") == b"v"
    spent = touches(blue)
    assert vault.sync(Opener(key_source=soft_source(blue), recovery_code=code), reason="s") == 1
    assert touches(blue) - spent == 2, "1 to prove the key, 1 per two entries"
    assert vault.pending("blue") == []
    assert Vault.open(path).read("later", opener, reason="r") == b"v"


def test_backup_key_opens_the_whole_vault(path: Path, keys: tuple[Path, Path, Path]) -> None:
    blue, green, _ = keys
    vault, code = Vault.create(
        path,
        NewAuthenticatorSlot("blue", soft_source(blue)),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    assert code is not None
    vault.write("a", b"1", Opener(key_source=soft_source(blue)))
    with pytest.raises(UsageError, match="opens the whole vault"):
        vault.enroll(
            NewAuthenticatorSlot("green", soft_source(green), backup=True),
            Opener(key_source=soft_source(blue)),
            reason="enrol green",
        )
    vault.enroll(
        NewAuthenticatorSlot("green", soft_source(green), backup=True),
        Opener(recovery_code=code),
        reason="enrol green",
    )
    assert touches(green) == 1, "a backup key's enrolment is one touch"
    assert [(s.name, s.role) for s in vault.slots()] == [
        ("blue", "everyday"),
        ("recovery", ""),
        ("green", "backup"),
    ]
    vault.write("b", b"2", Opener(key_source=soft_source(blue)))
    only_green = Opener(key_source=soft_source(green))
    reopened = Vault.open(path)
    assert reopened.read("a", only_green, reason="read a") == b"1"
    assert reopened.read("b", only_green, reason="read b") == b"2"
    assert touches(green) == 3, "one touch of the backup key per read"
    vault.remove_slot("blue")
    with pytest.raises(NotEnrolledError):
        Vault.open(path).unlock(Opener(key_source=soft_source(blue)), reason="x")


def test_two_everyday_keys(path: Path, keys: tuple[Path, Path, Path]) -> None:
    home, office, _ = keys
    vault, code = Vault.create(
        path,
        NewAuthenticatorSlot("home", soft_source(home)),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    assert code is not None
    at_home = Opener(key_source=soft_source(home))
    vault.write_many({"a": b"1", "b": b"2", "c": b"3"}, at_home)
    before = touches(home)
    vault.enroll(NewAuthenticatorSlot("office", soft_source(office)), at_home, reason="enrol")
    # No escrow opener given: home releases the 3 entry keys two per touch
    # (index + a, then b + c), office enrols (1) and wraps them (2).
    assert touches(home) - before == 2
    assert touches(office) == 3
    at_office = Opener(key_source=soft_source(office))
    for name, value in (("a", b"1"), ("b", b"2"), ("c", b"3")):
        assert Vault.open(path).read(name, at_office, reason="r") == value
    # Written at home while the office key was away: pending for it.
    vault.write("d", b"4", at_home)
    assert vault.pending("office") == ["d"]
    with pytest.raises(VaultError, match="while the key 'office' was away"):
        Vault.open(path).read("d", at_office, reason="r")
    spent = touches(home), touches(office)
    both = Opener(key_source=soft_source(home, office))
    assert Vault.open(path).sync(both, reason="sync", key="office") == 1
    assert (touches(home) - spent[0], touches(office) - spent[1]) == (2, 2)
    assert Vault.open(path).read("d", at_office, reason="r") == b"4"


def test_wrong_key_names_the_enrolled_slots(path: Path, keys: tuple[Path, Path, Path]) -> None:
    blue, green, stranger = keys
    vault, _ = Vault.create(path, NewAuthenticatorSlot("blue", soft_source(blue)))
    vault.enroll(
        NewAuthenticatorSlot("green", soft_source(green)),
        Opener(key_source=soft_source(blue)),
        reason="enrol",
    )
    # The stranger key exists (it has a credential elsewhere) but not here.
    Vault.create(path.with_name("other.vault"), NewAuthenticatorSlot("x", soft_source(stranger)))
    with pytest.raises(WrongKeyError) as raised:
        Vault.open(path).read("a", Opener(key_source=soft_source(stranger)), reason="read a")
    assert str(raised.value) == (f"this key is not enrolled in {path}; enrolled: 'blue', 'green'")


def test_rotate_touches_every_key_once(path: Path, keys: tuple[Path, Path, Path]) -> None:
    blue, green, _ = keys
    vault, old_code = Vault.create(
        path,
        NewAuthenticatorSlot("blue", soft_source(blue)),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    assert old_code is not None
    vault.enroll(
        NewAuthenticatorSlot("green", soft_source(green), backup=True),
        Opener(recovery_code=old_code),
        reason="enrol",
    )
    vault.write_many({"a": b"1", "b": b"2"}, Opener(key_source=soft_source(blue)))
    before = touches(blue), touches(green)
    both = Opener(key_source=soft_source(blue, green))
    new_code = vault.rotate(both, reason="rotate")
    spent = touches(blue) - before[0], touches(green) - before[1]
    # The backup key releases the escrow, then each key derives the new salts once.
    assert spent == (1, 2)
    assert new_code is not None
    assert new_code != old_code
    for key in (blue, green):
        assert Vault.open(path).read("b", Opener(key_source=soft_source(key)), reason="r") == b"2"
    assert Vault.open(path).read("a", Opener(recovery_code=new_code), reason="r") == b"1"
    with pytest.raises(VaultError, match="does not open"):
        Vault.open(path).read("a", Opener(recovery_code=old_code), reason="r")
    assert vault.names() == ["a", "b"]


def test_rotate_leaves_an_absent_key_to_sync(path: Path, keys: tuple[Path, Path, Path]) -> None:
    blue, green, _ = keys
    vault, code = Vault.create(
        path,
        NewAuthenticatorSlot("blue", soft_source(blue)),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    assert code is not None
    vault.enroll(
        NewAuthenticatorSlot("green", soft_source(green)),
        Opener(key_source=soft_source(blue)),
        reason="enrol",
    )
    vault.write("a", b"1", Opener(key_source=soft_source(blue)))
    vault.rotate(Opener(key_source=soft_source(blue), recovery_code=code), reason="rotate")
    assert any("'green' was away" in line for line in vault.warnings)
    with pytest.raises(NotEnrolledError):
        Vault.open(path).unlock(Opener(key_source=soft_source(green)), reason="r")
    both = Opener(key_source=soft_source(blue, green))
    Vault.open(path).sync(both, reason="sync", key="green")
    assert Vault.open(path).read("a", Opener(key_source=soft_source(green)), reason="r") == b"1"


def test_unlocked_vault_keeps_no_entry_secret(path: Path, keys: tuple[Path, Path, Path]) -> None:
    source = soft_source(keys[0])
    vault, _ = Vault.create(path, NewAuthenticatorSlot("blue", source))
    vault.write("a", b"secret value", Opener(key_source=source))
    vault.read("a", Opener(key_source=source), reason="read")
    held = [value for value in vars(vault).values() if isinstance(value, bytes)]
    # Only the index key: no hmac-secret output, no escrow key, no entry key.
    assert len(held) == 1
    assert len(held[0]) == 32


def test_last_security_key_is_not_removed(path: Path, keys: tuple[Path, Path, Path]) -> None:
    vault, _ = Vault.create(
        path,
        NewAuthenticatorSlot("blue", soft_source(keys[0])),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    with pytest.raises(UsageError, match="last security key"):
        vault.remove_slot("blue")
    assert [slot.name for slot in Vault.open(path).slots()] == ["blue", "recovery"]


def test_nobody_touching_is_an_error_not_a_value(
    path: Path, keys: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = soft_source(keys[0])
    vault, _ = Vault.create(path, NewAuthenticatorSlot("blue", source))
    vault.write("a", b"1", Opener(key_source=source))
    monkeypatch.setenv("SECRETS_SOFT_PRESENCE", "deny")
    with pytest.raises(PresenceError):
        vault.read("a", Opener(key_source=source), reason="read")
    monkeypatch.delenv("SECRETS_SOFT_PRESENCE")
    assert vault.read("a", Opener(key_source=source), reason="read") == b"1"


def test_warning_follows_the_slots(path: Path, keys: tuple[Path, Path, Path]) -> None:
    source = soft_source(keys[0])
    vault, code = Vault.create(
        path, NewAuthenticatorSlot("blue", source), recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT)
    )
    assert code is not None
    assert vault.warnings == []
    vault.remove_slot("recovery", opener=Opener(key_source=source, recovery_code=code))
    assert Vault.open(path).warnings == [
        f"only the security key 'blue' opens {path} and there is no recovery code: "
        "losing that key loses every entry"
    ]
