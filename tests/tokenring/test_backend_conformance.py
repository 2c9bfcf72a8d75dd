"""keyring's own conformance suite, run against TokenRing and the SoftAuthenticator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring import errors
from keyring.testing.backend import BackendBasicTests

from tests.tokenring.conftest import SharedAgent
from tokenring.backend import TokenRingKeyring


class TestInProcess(BackendBasicTests):
    """No agent runs: every call opens the vault itself (one touch per read).

    One deliberate departure from keyring's suite: an empty password is
    refused (as ``tokenring set`` refuses it) and the stored one is kept.
    """

    @pytest.fixture(autouse=True)
    def _init_properties(self, vault_file: Path) -> Iterator[None]:
        self.vault_file = vault_file
        self.keyring = self.init_keyring()
        self.credentials_created: set[tuple[str, str]] = set()
        yield
        self.cleanup()  # type: ignore[no-untyped-call]

    def init_keyring(self) -> TokenRingKeyring:
        return TokenRingKeyring(self.vault_file, use_agent=False)

    def check_set_get(self, service: str, username: str, password: str) -> None:
        keyring = self.keyring
        assert keyring.get_password(service, username) is None
        self.set_password(service, username, password)  # type: ignore[no-untyped-call]
        assert keyring.get_password(service, username) == password
        with pytest.raises(errors.PasswordSetError, match=r"^TokenRing: the password is empty"):
            keyring.set_password(service, username, "")
        assert keyring.get_password(service, username) == password

    def test_set_after_set_blank(self) -> None:
        with pytest.raises(errors.PasswordSetError):
            self.keyring.set_password("svc-blank", "user-blank", "")
        self.set_password("svc-blank", "user-blank", "non-blank")  # type: ignore[no-untyped-call]
        assert self.keyring.get_password("svc-blank", "user-blank") == "non-blank"


class TestThroughAgent(TestInProcess):
    """The same calls answered by a running agent (one for the whole class)."""

    @pytest.fixture(autouse=True)
    def _init_properties(self, shared_agent: SharedAgent) -> Iterator[None]:
        self.vault_file = shared_agent.vault
        self.keyring = self.init_keyring()
        self.credentials_created = set()
        yield
        self.cleanup()  # type: ignore[no-untyped-call]

    def init_keyring(self) -> TokenRingKeyring:
        return TokenRingKeyring(self.vault_file)
