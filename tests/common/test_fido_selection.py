"""SECRETS_AUTHENTICATOR: which authenticators the toolkit uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secrets_common.errors import UsageError
from secrets_common.fido.interaction import RecordingInteraction
from secrets_common.fido.selection import (
    Selection,
    discovery,
    open_key_source,
    parse_selection,
)

SALT = bytes(32)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_unset_or_empty_means_the_real_security_keys(value: str | None) -> None:
    assert parse_selection(value) == Selection(soft_paths=None)
    assert not parse_selection(value).is_soft


def test_soft_paths_are_taken_in_order_and_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    selection = parse_selection("soft:/keys/a.json, soft:b.json")
    assert selection.soft_paths == (Path("/keys/a.json"), tmp_path / "b.json")
    assert selection.is_soft


def test_softhid_paths_go_through_the_hid_framing(tmp_path: Path) -> None:
    selection = parse_selection(f"soft:{tmp_path}/a.json,softhid:{tmp_path}/b.json")
    assert selection.soft_paths == (tmp_path / "a.json", tmp_path / "b.json")
    assert selection.hid_paths == {tmp_path / "b.json"}


@pytest.mark.parametrize(
    "value",
    [
        "soft:",
        "softhid:",
        "softhid",
        "soft",
        "usb",
        "hid:/dev/hidraw0",
        "soft:/a,",
        ",soft:/a",
        "SOFT:/a",
    ],
)
def test_malformed_values_are_one_usage_error_naming_the_variable(value: str) -> None:
    with pytest.raises(UsageError, match="SECRETS_AUTHENTICATOR=") as caught:
        parse_selection(value)
    assert "\n" not in str(caught.value)


def test_one_state_file_named_twice_is_refused() -> None:
    with pytest.raises(UsageError, match="twice"):
        parse_selection("soft:/tmp/a.json,soft:/tmp/../tmp/a.json".replace("/../tmp", ""))
    with pytest.raises(UsageError, match="twice"):
        parse_selection("soft:/tmp/a.json,softhid:/tmp/a.json")


@given(st.text())
def test_any_value_parses_or_is_a_usage_error(value: str) -> None:
    try:
        selection = parse_selection(value)
    except UsageError:
        return
    assert selection.soft_paths is None or all(p.is_absolute() for p in selection.soft_paths)


def test_the_key_source_uses_the_selected_software_keys_lazily(tmp_path: Path) -> None:
    key = tmp_path / "chosen.json"
    source = open_key_source(
        {"SECRETS_AUTHENTICATOR": f"soft:{key}"}, interaction=RecordingInteraction()
    )
    assert not key.exists()  # nothing is opened before it is used
    enrolled = source.enroll(rp_id="example.test", user_name="a", salts=[SALT], reason="enrol")
    assert json.loads(key.read_text())["touches"] == 1
    assert str(key) in enrolled.authenticator


def test_open_key_source_rejects_a_bad_value_before_anything_else() -> None:
    with pytest.raises(UsageError):
        open_key_source({"SECRETS_AUTHENTICATOR": "yubikey"}, interaction=RecordingInteraction())


def test_several_software_keys_are_discovered_in_order(tmp_path: Path) -> None:
    paths = (tmp_path / "one.json", tmp_path / "two.json")
    found = discovery(Selection(soft_paths=paths))()
    assert [(a.name, a.transport, a.path) for a in found] == [
        ("SoftAuthenticator", "soft", str(paths[0])),
        ("SoftAuthenticator", "soft", str(paths[1])),
    ]
