"""Any sequence of vault operations matches a dictionary (Hypothesis state machine).

Slots: a keyring slot and a recovery code from the start; security keys
(SoftAuthenticators through the real FIDO2 key source) enrolled along the way.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from secrets_common.errors import NotFoundError, UsageError
from secrets_common.vault import (
    NewAuthenticatorSlot,
    NewKeyringSlot,
    NewRecoverySlot,
    NotEnrolledError,
    Opener,
    Vault,
)
from tests.common.vault_strategies import (
    CHEAP_SCRYPT,
    MemoryKeyring,
    entry_names,
    entry_values,
    soft_source,
)

names = st.one_of(st.sampled_from(["pypi", "github", "ssh"]), entry_names)
MAX_KEYS = 2


class VaultModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="vault-model-"))
        self.keyring = MemoryKeyring()
        self.keys: list[Path] = []
        vault, code = Vault.create(
            self.directory / "v" / "model.vault",
            NewKeyringSlot(self.keyring),
            recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
        )
        assert code is not None
        self.vault = vault
        self.code = code
        self.model: dict[str, bytes] = {}

    def teardown(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def everything(self) -> Opener:
        source = soft_source(*self.keys) if self.keys else None
        return Opener(keyring=self.keyring, key_source=source)

    @rule(name=names, value=entry_values)
    def write(self, name: str, value: bytes) -> None:
        self.vault.write(name, value)
        self.model[name] = value

    @rule(items=st.dictionaries(names, entry_values, max_size=4))
    def write_many(self, items: dict[str, bytes]) -> None:
        self.vault.write_many(items)
        self.model.update(items)

    @rule(name=names)
    def delete(self, name: str) -> None:
        if name in self.model:
            self.vault.delete(name)
            del self.model[name]
        else:
            with pytest.raises(NotFoundError):
                self.vault.delete(name)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def read(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.model)))
        assert (
            self.vault.read(name, Opener(keyring=self.keyring), reason="test") == (self.model[name])
        )

    @rule(how=st.sampled_from(["keyring", "recovery", "key"]))
    def reopen(self, how: str) -> None:
        vault = Vault.open(self.vault.path)
        if how == "key" and self.keys:
            # Entries written through the keyring are sealed to the escrow key
            # only: the everyday key catches up with `sync` (keyring as escrow).
            key = soft_source(self.keys[-1])
            vault.sync(
                Opener(key_source=key, keyring=self.keyring),
                reason="test",
                key=f"key {len(self.keys) - 1}",
            )
            assert vault.pending(f"key {len(self.keys) - 1}") == []
            vault = Vault.open(self.vault.path)
            opener = Opener(key_source=key)
        elif how == "recovery":
            opener = Opener(recovery_code=self.code)
        else:
            opener = Opener(keyring=self.keyring)
        if self.model:
            name = sorted(self.model)[0]
            # The one-touch cold read: unlocks and reads at once.
            assert vault.read(name, opener, reason="test") == self.model[name]
        else:
            vault.unlock(opener, reason="test")
        self.vault = vault

    @precondition(lambda self: len(self.keys) < MAX_KEYS)
    @rule()
    def enroll(self) -> None:
        state = self.directory / f"key-{len(self.keys)}.json"
        self.vault.enroll(
            NewAuthenticatorSlot(f"key {len(self.keys)}", soft_source(state)),
            Opener(keyring=self.keyring),
            reason="test",
        )
        self.keys.append(state)

    @precondition(lambda self: len(self.keys) == 1)
    @rule()
    def remove_last_key(self) -> None:
        with pytest.raises(UsageError, match="last security key"):
            self.vault.remove_slot("key 0")

    @precondition(lambda self: len(self.keys) > 1)
    @rule()
    def remove_key(self) -> None:
        removed = self.keys.pop()
        self.vault.remove_slot(f"key {len(self.keys)}")
        with pytest.raises(NotEnrolledError):
            Vault.open(self.vault.path).unlock(
                Opener(key_source=soft_source(removed)), reason="test"
            )

    @rule()
    def rotate(self) -> None:
        code = self.vault.rotate(self.everything(), reason="test")
        assert code is not None
        self.code = code

    @invariant()
    def same_names(self) -> None:
        assert self.vault.names() == sorted(self.model)


# Each example touches files and software keys: a third of the profile's
# examples (16 by default, more under HYPOTHESIS_PROFILE=thorough).
_profile = settings()
VaultModel.TestCase.settings = settings(
    _profile, max_examples=max(_profile.max_examples // 3, 5), stateful_step_count=12
)
test_vault_matches_a_dictionary = VaultModel.TestCase
