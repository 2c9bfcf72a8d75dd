"""What the keyring backend adds to the conformance suite: touches, no vault, switch-off."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring import errors

from secrets_common.cli import invocation
from secrets_common.errors import PresenceError
from tests.tokenring.conftest import SharedAgent, touches
from tokenring.backend import PRIORITY, TokenRingKeyring


def test_user_name_lookup_costs_no_touch_until_the_password_is_read(
    shared_agent: SharedAgent,
) -> None:
    ring = TokenRingKeyring()
    ring.set_password("https://upload.pypi.org/legacy/", "__token__", "pypi-x")
    try:
        before = touches(shared_agent.key)
        credential = ring.get_credential("https://upload.pypi.org/legacy/", None)
        assert credential is not None
        assert credential.username == "__token__"
        assert touches(shared_agent.key) == before
        assert credential.password == "pypi-x"
        assert credential.password == "pypi-x"  # read once, kept by the caller's object
        assert touches(shared_agent.key) == before + 1
    finally:
        ring.delete_password("https://upload.pypi.org/legacy/", "__token__")


def test_without_a_vault_nothing_is_stored(soft_key: Path) -> None:
    invocation.reset()  # as in twine's process: no command of the toolkit runs here
    ring = TokenRingKeyring()
    assert ring.get_password("svc", "user") is None
    assert ring.get_credential("svc", None) is None
    with pytest.raises(errors.PasswordDeleteError):
        ring.delete_password("svc", "user")
    with pytest.raises(errors.PasswordSetError, match=r"^TokenRing: .*`secrets ring init`$"):
        ring.set_password("svc", "user", "pw")
    assert touches(soft_key) == 0


def test_presence_refused_is_a_keyring_error(
    vault_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ring = TokenRingKeyring(use_agent=False)
    ring.set_password("svc", "user", "pw")
    monkeypatch.setenv("SECRETS_SOFT_PRESENCE", "deny")
    with pytest.raises(errors.KeyringError, match="TokenRing") as raised:
        ring.get_password("svc", "user")
    # Callers (PINPal) rebuild the toolkit's own error, and its exit status, from it...
    assert isinstance(raised.value.secrets_error, PresenceError)  # type: ignore[attr-defined]
    # ...which is not chained: a client prints one error, not python-fido2's stack.
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_priority_and_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    assert TokenRingKeyring.priority == PRIORITY
    assert TokenRingKeyring.viable
    monkeypatch.setenv("TOKENRING_DISABLE", "1")
    assert not TokenRingKeyring.viable


def test_a_vault_whose_keyring_is_tokenring_keeps_the_touch_refused(
    vault_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secrets_common.vault import NewKeyringSlot, Opener, Vault

    # Another vault (PINPal's, say) keeps its key in TokenRing.
    ring = TokenRingKeyring(use_agent=False)
    other, _ = Vault.create(tmp_path / "other-vault", NewKeyringSlot(backend=ring))
    other.lock()
    monkeypatch.setenv("SECRETS_SOFT_PRESENCE", "deny")
    with pytest.raises(PresenceError) as raised:  # exit 3, not "the keyring refused" (4)
        Vault.open(tmp_path / "other-vault").unlock(Opener(keyring=ring), reason="read")
    assert raised.value.exit_code == 3
