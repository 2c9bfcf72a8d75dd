"""Damaged, foreign and unsafe files: one clear error naming the file, never a wrong value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secrets_common.errors import NotFoundError, SecretsError, VaultError
from secrets_common.vault import NewKeyringSlot, NewRecoverySlot, Opener, Vault
from tests.common.vault_strategies import CHEAP_SCRYPT, MemoryKeyring

ENTRIES = {"alpha": b"first value", "beta": b"second value"}


@pytest.fixture(scope="module")
def small_vault(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, MemoryKeyring]:
    """A small vault's bytes (both slot kinds, two entries) and its keyring."""
    directory = tmp_path_factory.mktemp("damage")
    os.chmod(directory, 0o700)
    keyring = MemoryKeyring()
    vault, _ = Vault.create(
        directory / "v", NewKeyringSlot(keyring), recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT)
    )
    vault.write_many(ENTRIES)
    return (directory / "v").read_bytes(), keyring


def read_all(path: Path, keyring: MemoryKeyring) -> dict[str, bytes]:
    vault = Vault.open(path)
    opener = Opener(keyring=keyring)
    vault.unlock(opener, reason="test")
    return {name: vault.read(name, opener, reason="test") for name in vault.names()}


def place(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "damaged.vault"
    path.write_bytes(data)
    os.chmod(path, 0o600)
    return path


def test_intact_copy_reads(tmp_path: Path, small_vault: tuple[bytes, MemoryKeyring]) -> None:
    data, keyring = small_vault
    assert read_all(place(tmp_path, data), keyring) == ENTRIES


def test_every_flipped_byte_is_detected(
    tmp_path: Path, small_vault: tuple[bytes, MemoryKeyring]
) -> None:
    data, keyring = small_vault
    undetected = []
    messages = set()
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x01
        path = place(tmp_path, bytes(damaged))
        try:
            read_all(path, keyring)
        except SecretsError as error:
            messages.add(str(error))
        else:
            undetected.append(position)
    assert undetected == []
    assert all(str(path) in message and "\n" not in message for message in messages)


@given(position=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_any_flip_is_detected(
    tmp_path: Path, small_vault: tuple[bytes, MemoryKeyring], position: int, mask: int
) -> None:
    data, keyring = small_vault
    damaged = bytearray(data)
    damaged[position % len(data)] ^= mask
    path = place(tmp_path, bytes(damaged))
    with pytest.raises(SecretsError, match=str(path)):
        read_all(path, keyring)


@given(cut=st.integers(min_value=0))
def test_truncation_is_detected(
    tmp_path: Path, small_vault: tuple[bytes, MemoryKeyring], cut: int
) -> None:
    data, keyring = small_vault
    path = place(tmp_path, data[: cut % len(data)])
    with pytest.raises(VaultError, match=str(path)):
        read_all(path, keyring)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b'{"hello": "world"}\n', "it is not a secrets vault"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "it is not a secrets vault"),
        (b'{"format":"secrets-vault","version":3}\n', "format version 3"),
        (b'{"format":"secrets-vault","version":1}\n', "unexpected or missing fields"),
        (b"{not json\n", "the header is not JSON"),
        (b"[1, 2]\n", "it is not a secrets vault"),
    ],
)
def test_foreign_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = place(tmp_path, content)
    with pytest.raises(VaultError) as raised:
        Vault.open(path)
    assert str(raised.value).startswith(f"{path} cannot be used: ")
    assert message in str(raised.value)


def test_index_under_another_header_is_detected(tmp_path: Path) -> None:
    """A header with one more slot put over the index written before the enrolment."""
    keyring = MemoryKeyring()
    os.chmod(tmp_path, 0o700)
    vault, _ = Vault.create(tmp_path / "a", NewKeyringSlot(keyring))
    vault.write("x", b"1")
    before = (tmp_path / "a").read_bytes()
    vault.enroll(NewKeyringSlot(keyring, name="more"), Opener(keyring=keyring), reason="t")
    after = (tmp_path / "a").read_bytes()
    header = after.split(b"\n", 1)[0]
    body = before.split(b"\n", 1)[1]
    path = place(tmp_path, header + b"\n" + body)
    with pytest.raises(VaultError, match="its header was changed"):
        read_all(path, keyring)


def test_writable_by_others_is_refused(
    tmp_path: Path, small_vault: tuple[bytes, MemoryKeyring]
) -> None:
    data, _ = small_vault
    path = place(tmp_path, data)
    os.chmod(path, 0o620)
    with pytest.raises(VaultError) as raised:
        Vault.open(path)
    assert str(raised.value) == (
        f"{path} is writable by other users, who could replace the vault; run: chmod 600 {path}"
    )


def test_directory_writable_by_others_is_refused(
    tmp_path: Path, small_vault: tuple[bytes, MemoryKeyring]
) -> None:
    data, _ = small_vault
    directory = tmp_path / "shared"
    directory.mkdir()
    path = place(directory, data)
    os.chmod(directory, 0o770)  # noqa: S103 -- the unsafe mode under test
    with pytest.raises(VaultError, match=f"run: chmod 700 {directory}$"):
        Vault.open(path)


def test_symlink_is_refused(tmp_path: Path, small_vault: tuple[bytes, MemoryKeyring]) -> None:
    data, _ = small_vault
    target = place(tmp_path, data)
    link = tmp_path / "link.vault"
    link.symlink_to(target)
    with pytest.raises(VaultError, match="is a symbolic link"):
        Vault.open(link)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    directory = tmp_path / "dir.vault"
    directory.mkdir(mode=0o700)
    with pytest.raises(VaultError, match="is not a regular file"):
        Vault.open(directory)


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=f"^no vault at {tmp_path / 'none'}$"):
        Vault.open(tmp_path / "none")
