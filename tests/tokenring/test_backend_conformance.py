"""keyring's own conformance suite, run against TokenRing and the SoftAuthenticator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.testing.backend import BackendBasicTests

from tests.tokenring.conftest import SharedAgent
from tokenring.backend import TokenRingKeyring


class TestInProcess(BackendBasicTests):
    """No agent runs: every call opens the vault itself (one touch per read)."""

    @pytest.fixture(autouse=True)
    def _init_properties(self, vault_file: Path) -> Iterator[None]:
        self.vault_file = vault_file
        self.keyring = self.init_keyring()
        self.credentials_created: set[tuple[str, str]] = set()
        yield
        self.cleanup()  # type: ignore[no-untyped-call]

    def init_keyring(self) -> TokenRingKeyring:
        return TokenRingKeyring(self.vault_file)


class TestThroughAgent(TestInProcess):
    """The same calls answered by a running agent (one for the whole class)."""

    @pytest.fixture(autouse=True)
    def _init_properties(self, shared_agent: SharedAgent) -> Iterator[None]:
        self.vault_file = shared_agent.vault
        self.keyring = self.init_keyring()
        self.credentials_created = set()
        yield
        self.cleanup()  # type: ignore[no-untyped-call]
