"""Bad software-authenticator state files and settings, through ``secrets token``."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import stat
from pathlib import Path

import pytest
from fido2.ctap2.base import Ctap2
from fido2.hid import CTAPHID

from secrets_common.errors import UsageError
from secrets_common.fido.selection import selection_from
from secrets_common.soft import SoftAuthenticator, SoftStateError
from secrets_common.soft.state import DeviceState
from tests.bad_input import error_line, soft
from tests.cli import run

SECURITY_KEY = 3
USAGE = 2


def token_list(key: Path) -> str:
    """The error of ``secrets token list`` with this state file."""
    return error_line(run("secrets", "token", "list", env=soft(key), timeout=30), SECURITY_KEY)


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"", "state file: the file is empty"),
        (b" \n", "state file: the file is empty"),
        (b"\xc3\x28 garbage", ""),
        (b'{"format": 1, "touches": 0', "Expecting"),
        (b"[1, 2]", "not a JSON object"),
        (b"[" * 50_000 + b"]" * 50_000, "too large"),
        # How deep json may nest depends on the interpreter; deeper than it may
        # is "nested too deeply", shallower is a list: "not a JSON object".
        (b"[" * 30_000 + b"]" * 30_000, ("nested too deeply", "not a JSON object")),
        (b"1" * 5_000, "limit"),
    ],
    ids=["empty", "blank", "binary", "truncated", "foreign", "huge", "deep", "long-int"],
)
def test_an_unusable_state_file_is_one_error_and_is_left_alone(
    tmp_path: Path, content: bytes, detail: str | tuple[str, ...]
) -> None:
    key = tmp_path / "key.json"
    key.write_bytes(content)
    with pytest.raises(SoftStateError) as caught:
        Ctap2(SoftAuthenticator(key))
    message = str(caught.value)
    assert message.startswith(f"{key} is not a usable software authenticator state file")
    details = (detail,) if isinstance(detail, str) else detail
    assert any(expected in message for expected in details), message
    assert "\n" not in message
    assert key.read_bytes() == content


def test_a_deeply_nested_state_file_through_the_cli(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_bytes(b"[" * 30_000 + b"]" * 30_000)
    message = token_list(key)
    assert message.endswith(("state file: nested too deeply", "state file: not a JSON object"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_place_of_the_state_file_fails_at_once(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    os.mkfifo(key)
    assert token_list(key) == f"{key} is not a regular file"


def test_a_directory_in_place_of_the_state_file(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.mkdir()
    assert key.name in token_list(key)


def test_missing_directories_of_a_new_state_file_are_created_private(tmp_path: Path) -> None:
    key = tmp_path / "a" / "b" / "key.json"
    result = run("secrets", "token", "list", env=soft(key))
    assert result.returncode == 0, result.stderr
    for directory in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_file_where_the_state_directory_should_be(tmp_path: Path) -> None:
    blocker = tmp_path / "vault"
    blocker.write_bytes(b"not a directory")
    assert token_list(blocker / "key.json") == (
        f"cannot use {blocker / 'key.json'}: {blocker} is not a directory"
    )
    assert "Not a directory" in token_list(blocker / "deeper" / "key.json")
    assert blocker.read_bytes() == b"not a directory"


@pytest.mark.parametrize(
    "value",
    ["maybe", "denied", "no", "1", "after:", "after:-1", "after:nan", "after:inf", "after:x"],
)
def test_a_misspelt_presence_setting_is_a_usage_error(tmp_path: Path, value: str) -> None:
    environ = {**soft(tmp_path / "key.json"), "SECRETS_SOFT_PRESENCE": value}
    with pytest.raises(UsageError, match=f"SECRETS_SOFT_PRESENCE={value!r} is not understood"):
        selection_from(environ)


@pytest.mark.parametrize("value", ["", "deny", " DENY ", "after:0", "AFTER:2.5", "after: 10"])
def test_the_documented_presence_settings_are_accepted(tmp_path: Path, value: str) -> None:
    environ = {**soft(tmp_path / "key.json"), "SECRETS_SOFT_PRESENCE": value}
    assert selection_from(environ).soft_paths == (tmp_path / "key.json",)


def test_presence_is_not_checked_when_security_keys_are_used() -> None:
    assert not selection_from({"SECRETS_SOFT_PRESENCE": "maybe"}).is_soft


def test_a_misspelt_presence_setting_through_the_cli(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    result = run("secrets", "token", "list", env={**soft(key), "SECRETS_SOFT_PRESENCE": "dney"})
    assert error_line(result, USAGE).startswith("SECRETS_SOFT_PRESENCE='dney' is not understood")
    assert not key.exists()


def test_the_device_state_never_shows_its_secrets_in_a_repr() -> None:
    state = dataclasses.replace(DeviceState.new(), pin_hash=b"\x01" * 16)
    shown = repr(state)
    for secret in (state.master_secret, state.pin_hash or b""):
        assert repr(secret) not in shown
        assert secret.hex() not in shown
        assert base64.b64encode(secret).decode() not in shown
    assert state.aaguid.hex() in shown or repr(state.aaguid) in shown


@pytest.mark.parametrize("unsafe", [0o620, 0o602, 0o666])
def test_a_state_file_others_can_write_is_refused_and_left_alone(
    tmp_path: Path, unsafe: int
) -> None:
    key = tmp_path / "key.json"
    Ctap2(SoftAuthenticator(key))
    content = key.read_bytes()
    key.chmod(unsafe)
    with pytest.raises(SoftStateError, match=f"writable by other users.*chmod 600 {key}$"):
        Ctap2(SoftAuthenticator(key))
    assert key.read_bytes() == content
    assert stat.S_IMODE(key.stat().st_mode) == unsafe


def test_a_state_file_others_can_only_read_still_opens(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    Ctap2(SoftAuthenticator(key))
    key.chmod(0o644)
    assert Ctap2(SoftAuthenticator(key)).info.aaguid


def test_temporaries_of_a_killed_writer_are_removed_at_the_next_save(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    Ctap2(SoftAuthenticator(key))
    stale = tmp_path / ".key.json.x1y2z3.tmp"
    stale.write_bytes(b'{"half": ')
    unrelated = tmp_path / ".other.json.x1y2z3.tmp"
    unrelated.write_bytes(b"")
    before = json.loads(key.read_text())["touches"]
    SoftAuthenticator(key).call(CTAPHID.CBOR, b"\x0b")  # selection: one touch, saved
    assert json.loads(key.read_text())["touches"] == before + 1
    assert not stale.exists()
    assert unrelated.exists()
