"""Vault files and directories that are not what they should be."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from secrets_common.errors import NotFoundError, VaultError
from secrets_common.vault import NewKeyringSlot, Opener, Vault
from tests.bad_input import error_line, soft
from tests.cli import run
from tests.common.vault_strategies import MemoryKeyring

VAULT_FILE = 4


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_place_of_the_vault_fails_at_once(tmp_path: Path) -> None:
    directory = tmp_path / "vaults"
    directory.mkdir(mode=0o700)
    fifo = directory / "vault"
    os.mkfifo(fifo, 0o600)
    failures: list[BaseException] = []

    def open_it() -> None:
        try:
            Vault.open(fifo)
        except BaseException as error:  # handed to the test thread below
            failures.append(error)

    opener = threading.Thread(target=open_it, daemon=True)
    opener.start()
    opener.join(timeout=10)
    if opener.is_alive():
        # Give the blocked open its writer so the thread can end, then fail.
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        opener.join(timeout=10)
        pytest.fail("opening a FIFO as the vault blocked")
    assert len(failures) == 1
    assert isinstance(failures[0], VaultError)
    assert str(failures[0]) == f"{fifo} is not a regular file"


def test_missing_directories_of_a_new_vault_are_all_created_private(tmp_path: Path) -> None:
    keyring = MemoryKeyring()
    path = tmp_path / "home" / "tool" / "vault"
    vault, _ = Vault.create(path, NewKeyringSlot(keyring))
    vault.write("a", b"1")
    assert mode(tmp_path / "home") == 0o700
    assert mode(tmp_path / "home" / "tool") == 0o700
    assert mode(path) == 0o600
    assert Vault.open(path).read("a", Opener(keyring=keyring), reason="test") == b"1"


@pytest.mark.parametrize("depth", [1, 2])
def test_a_file_where_the_vault_directory_should_be_is_a_vault_error(
    tmp_path: Path, depth: int
) -> None:
    blocker = tmp_path / "home"
    blocker.write_bytes(b"a file")
    path = blocker.joinpath(*["sub"] * depth, "vault")
    with pytest.raises(VaultError, match=r"cannot create the directory .*: Not a directory"):
        Vault.create(path, NewKeyringSlot(MemoryKeyring()))
    with pytest.raises((NotFoundError, VaultError)):
        Vault.open(path)
    assert blocker.read_bytes() == b"a file"


def test_secrets_home_that_is_a_file_through_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_bytes(b"a file")
    result = run(
        "secrets", "ring", "init", env={**soft(tmp_path / "key.json"), "SECRETS_HOME": str(home)}
    )
    message = error_line(result, VAULT_FILE)
    assert message.startswith(f"cannot create the directory {home / 'tokenring'}")
    assert home.read_bytes() == b"a file"


def _made(tmp_path: Path) -> tuple[Path, MemoryKeyring, bytes]:
    keyring = MemoryKeyring()
    path = tmp_path / "vaults" / "vault"
    vault, _ = Vault.create(path, NewKeyringSlot(keyring))
    vault.write("kept", b"value")
    return path, keyring, path.read_bytes()


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "the header is not JSON"),
        (b'{"format": "secrets-vault", "version": "' + b"x" * 10_000 + b'"}', "version 'xxxx"),
        (b'{"format": "secrets-vault", "version": 3}', "format version 3;"),
        (None, "unknown kind 'xxxxxxxxxxxxxxxx..."),
    ],
    ids=["deep", "long-version", "future-version", "long-kind"],
)
def test_a_bad_header_is_one_short_vault_error(
    tmp_path: Path, header: bytes | None, detail: str
) -> None:
    path, _, good = _made(tmp_path)
    line, body = good.split(b"\n", 1)
    if header is None:  # a good header whose slot has a long unknown kind
        document = json.loads(line)
        document["slots"][0]["kind"] = "x" * 5000
        header = json.dumps(document).encode()
    path.write_bytes(header + b"\n" + body)
    with pytest.raises(VaultError) as caught:
        Vault.open(path)
    message = str(caught.value)
    assert message.startswith(f"{path} cannot be used: ")
    assert detail in message
    assert len(message) < len(str(path)) + 120


def test_a_deeply_nested_header_through_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    environ = {**soft(tmp_path / "key.json"), "SECRETS_HOME": str(home)}
    assert run("secrets", "ring", "init", env=environ).returncode == 0
    vault = home / "tokenring" / "vault"
    vault.write_bytes(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
    message = error_line(run("secrets", "ring", "list", env=environ), VAULT_FILE)
    assert message == f"{vault} cannot be used: it is not a secrets vault (the header is not JSON)"
