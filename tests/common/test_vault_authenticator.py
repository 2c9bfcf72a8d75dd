"""Authenticator slots through the real FIDO2 key source and SoftAuthenticators.

Touches are counted in each SoftAuthenticator's state file, so these tests
check the touch budget of docs/vault-format.md as a user would feel it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secrets_common.errors import NotFoundError, PresenceError, VaultError, WrongKeyError
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

    vault.write("pypi", b"token-1")
    vault.write("github", b"token-2")
    vault.delete("github")
    assert vault.names() == ["pypi"]
    assert touches(blue) == 1, "writes, deletes and listing while unlocked are free"

    assert vault.read("pypi", opener, reason="read pypi") == b"token-1"
    assert touches(blue) == 2, "a read while unlocked costs one touch"
    assert vault.read("pypi", opener, reason="read pypi") == b"token-1"
    assert touches(blue) == 3, "and again: nothing is cached"

    cold = Vault.open(path)
    assert touches(blue) == 3, "opening the file is free"
    assert cold.read("pypi", opener, reason="read pypi") == b"token-1"
    assert touches(blue) == 4, "a cold read costs exactly one touch"
    assert cold.names() == ["pypi"]
    assert touches(blue) == 4, "and leaves the index unlocked"

    lister = Vault.open(path).unlock(opener, reason="list")
    assert lister.names() == ["pypi"]
    assert touches(blue) == 5, "a cold list costs one touch"
    lister.write("new", b"value")
    assert touches(blue) == 5, "a cold write costs that same one touch"


def test_backup_key_reads_everything(path: Path, keys: tuple[Path, Path, Path]) -> None:
    blue, green, _ = keys
    vault, _ = Vault.create(path, NewAuthenticatorSlot("blue", soft_source(blue)))
    assert len(vault.warnings) == 1
    assert "losing that key loses every entry" in vault.warnings[0]
    vault.write("a", b"1")

    vault.enroll(
        NewAuthenticatorSlot("green", soft_source(green)),
        Opener(key_source=soft_source(blue)),
        reason="enrol green",
    )
    assert (touches(blue), touches(green)) == (2, 1), "1 on an enrolled key + 1 on the new"
    assert vault.warnings == []
    assert [(s.name, s.kind) for s in vault.slots()] == [
        ("blue", "authenticator"),
        ("green", "authenticator"),
    ]
    vault.write("b", b"2")
    only_green = Opener(key_source=soft_source(green))
    reopened = Vault.open(path)
    assert reopened.read("a", only_green, reason="read a") == b"1"
    assert reopened.read("b", only_green, reason="read b") == b"2"
    assert touches(green) == 3

    vault.remove_slot("blue")
    with pytest.raises(NotEnrolledError):
        Vault.open(path).unlock(Opener(key_source=soft_source(blue)), reason="x")


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
    vault.enroll(
        NewAuthenticatorSlot("green", soft_source(green)),
        Opener(key_source=soft_source(blue)),
        reason="enrol",
    )
    vault.write_many({"a": b"1", "b": b"2"})
    before = touches(blue), touches(green)
    both = Opener(key_source=soft_source(blue, green))
    new_code = vault.rotate(both, reason="rotate")
    spent = touches(blue) - before[0], touches(green) - before[1]
    # One key releases the old keys, then each key derives the new salts once.
    assert sorted(spent) == [1, 2]
    assert new_code is not None
    assert new_code != old_code
    for key in (blue, green):
        assert Vault.open(path).read("b", Opener(key_source=soft_source(key)), reason="r") == b"2"
    assert Vault.open(path).read("a", Opener(recovery_code=new_code), reason="r") == b"1"
    assert vault.names() == ["a", "b"]


def test_missing_entry_after_the_touch(path: Path, keys: tuple[Path, Path, Path]) -> None:
    source = soft_source(keys[0])
    Vault.create(path, NewAuthenticatorSlot("blue", source))
    with pytest.raises(NotFoundError, match="no entry 'nope'"):
        Vault.open(path).read("nope", Opener(key_source=source), reason="read")


def test_unlocked_vault_keeps_no_read_key(path: Path, keys: tuple[Path, Path, Path]) -> None:
    source = soft_source(keys[0])
    vault, _ = Vault.create(path, NewAuthenticatorSlot("blue", source))
    vault.write("a", b"secret value")
    vault.read("a", Opener(key_source=source), reason="read")
    held = [value for value in vars(vault).values() if isinstance(value, bytes)]
    # Only the index key: 32 bytes, and not the read private key (whose public
    # half is in the header).
    assert len(held) == 1
    assert len(held[0]) == 32


def test_rotate_needs_every_key(path: Path, keys: tuple[Path, Path, Path]) -> None:
    blue, green, _ = keys
    vault, _ = Vault.create(path, NewAuthenticatorSlot("blue", soft_source(blue)))
    vault.enroll(
        NewAuthenticatorSlot("green", soft_source(green)),
        Opener(key_source=soft_source(blue)),
        reason="enrol",
    )
    vault.write("a", b"1")
    before = path.read_bytes()
    with pytest.raises(VaultError, match="needs every enrolled key; not reached: 'green'"):
        vault.rotate(Opener(key_source=soft_source(blue)), reason="rotate")
    assert path.read_bytes() == before
    assert Vault.open(path).read("a", Opener(key_source=soft_source(green)), reason="r") == b"1"


def test_nobody_touching_is_an_error_not_a_value(
    path: Path, keys: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = soft_source(keys[0])
    vault, _ = Vault.create(path, NewAuthenticatorSlot("blue", source))
    vault.write("a", b"1")
    monkeypatch.setenv("SECRETS_SOFT_PRESENCE", "deny")
    with pytest.raises(PresenceError):
        vault.read("a", Opener(key_source=source), reason="read")
    monkeypatch.delenv("SECRETS_SOFT_PRESENCE")
    assert vault.read("a", Opener(key_source=source), reason="read") == b"1"


def test_warning_follows_the_slots(path: Path, keys: tuple[Path, Path, Path]) -> None:
    vault, code = Vault.create(
        path,
        NewAuthenticatorSlot("blue", soft_source(keys[0])),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    assert code is not None
    assert vault.warnings == []
    vault.remove_slot("recovery")
    assert Vault.open(path).warnings == [
        f"only the security key 'blue' opens {path} and there is no recovery code: "
        "losing that key loses every entry"
    ]
