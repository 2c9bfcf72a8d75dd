"""The vault-backed store, through a real keyring backend (keyrings.alt's file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from pinpal.storage.store import MemoryStore, RecordStore
from pinpal.storage.vaultstore import VaultStore
from secrets_common.errors import NotFoundError
from secrets_common.vault import KeyringBackend
from tests.cli import run


@pytest.fixture
def backend(tmp_path: Path) -> KeyringBackend:
    keyring = PlaintextKeyring()
    keyring.file_path = str(tmp_path / "keyring.cfg")
    found: KeyringBackend = keyring
    return found


def exercise(store: RecordStore) -> None:
    assert store.labels() == []
    with pytest.raises(NotFoundError):
        store.read("a")
    store.write("a", b"one")
    store.write("b", b"two")
    store.write("a", b"three")
    assert store.labels() == ["a", "b"]
    assert store.read("a") == b"three"
    store.delete("b")
    assert store.labels() == ["a"]
    with pytest.raises(NotFoundError):
        store.delete("b")


def test_memory_store_behaves_like_a_store() -> None:
    store = MemoryStore()
    exercise(store)
    before = store.generation()
    store.write("x", b"")
    assert store.generation() != before


def test_vault_store_behaves_like_the_memory_store(tmp_path: Path, backend: KeyringBackend) -> None:
    path = tmp_path / "pinpal" / "vault"
    store = VaultStore(path, lambda: backend)
    exercise(store)
    assert path.stat().st_mode & 0o777 == 0o600
    reopened = VaultStore(path, lambda: backend)
    assert reopened.read("a") == b"three"
    before = reopened.generation()
    assert reopened.generation() == before
    store.write("c", b"four")
    assert reopened.generation() != before
    assert b"three" not in path.read_bytes()


def test_reading_an_absent_vault_creates_nothing(tmp_path: Path, backend: KeyringBackend) -> None:
    store = VaultStore(tmp_path / "vault", lambda: backend)
    assert store.labels() == []
    assert not (tmp_path / "vault").exists()


def test_no_keyring_backend_is_one_clear_error() -> None:
    result = run(
        "pinpal",
        "new",
        "mail",
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert result.returncode == 4, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: no keyring can hold PINPal's vault key here")
    assert "Secret Service (gnome-keyring or KWallet)" in result.stderr
    assert "D-Bus" in result.stderr
    assert "unlocked, or TokenRing" in result.stderr
    assert "--list-backends" not in result.stderr
    assert "Traceback" not in result.stderr


class CountingKeyring:
    """A keyring that counts how often it is asked (a touch each, under TokenRing)."""

    def __init__(self, backend: KeyringBackend) -> None:
        self.backend = backend
        self.asked = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.asked += 1
        return self.backend.get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.backend.set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self.backend.delete_password(service, username)


def test_the_keyring_is_asked_once_per_store(tmp_path: Path, backend: KeyringBackend) -> None:
    path = tmp_path / "vault"
    writer = VaultStore(path, lambda: backend)
    for label in ("a", "b", "c"):
        writer.write(label, label.encode())
    counting = CountingKeyring(backend)
    reader = VaultStore(path, lambda: counting)
    assert [reader.read(label) for label in reader.labels()] == [b"a", b"b", b"c"]
    assert counting.asked == 1
