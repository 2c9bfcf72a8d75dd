"""``secrets token`` as a real subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fido2.ctap2.base import Ctap2
from fido2.ctap2.pin import ClientPin

from secrets_common.soft import SoftAuthenticator
from tests.cli import run

NO_KEY = "no security key found"


def soft(*paths: Path) -> dict[str, str]:
    return {"SECRETS_AUTHENTICATOR": ",".join(f"soft:{path}" for path in paths)}


def test_list_shows_the_software_authenticator_with_hmac_secret(tmp_path: Path) -> None:
    key = tmp_path / "a.json"
    result = run("secrets", "token", "list", env=soft(key))
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split() == ["#", "NAME", "TRANSPORT", "HMAC-SECRET", "PIN", "PATH"]
    assert row.split() == ["1", "SoftAuthenticator", "soft", "yes", "(+mc)", "not", "set", str(key)]
    assert result.stderr.splitlines() == [
        f"warning: using the software authenticator {key}: secrets are not hardware-protected"
    ]


def test_list_json_gives_one_object_per_key_in_the_configured_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    ClientPin(Ctap2(SoftAuthenticator(second))).set_pin("4321")
    result = run("secrets", "token", "list", "--json", env=soft(first, second))
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [(k["index"], k["path"], k["transport"]) for k in listed] == [
        (1, str(first), "soft"),
        (2, str(second), "soft"),
    ]
    assert all(k["hmac_secret"] and k["hmac_secret_mc"] for k in listed)
    assert [k["pin_set"] for k in listed] == [False, True]
    assert len(result.stderr.splitlines()) == 2  # one warning per software key


def test_info_details_one_key_chosen_by_number_or_name(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    ClientPin(Ctap2(SoftAuthenticator(second))).set_pin("4321")
    by_number = run("secrets", "token", "info", "2", "--json", env=soft(first, second))
    assert by_number.returncode == 0, by_number.stderr
    details = json.loads(by_number.stdout)
    assert details["path"] == str(second)
    assert {"hmac-secret", "hmac-secret-mc"} <= set(details["extensions"])
    assert details["options"]["clientPin"] is True
    assert details["pin_retries"] == 8
    assert "FIDO_2_1" in details["versions"]

    by_name = run("secrets", "token", "info", "second", env=soft(first, second))
    assert by_name.returncode == 0, by_name.stderr
    shown = dict(line.split(":", 1) for line in by_name.stdout.splitlines())
    assert shown["path"].strip() == str(second)
    assert shown["hmac-secret"].strip() == "yes, with hmac-secret-mc (one-touch enrolment)"
    assert shown["PIN"].strip() == "set (8 attempts left)"


def test_info_needs_a_choice_among_several_keys(tmp_path: Path) -> None:
    result = run("secrets", "token", "info", env=soft(tmp_path / "a", tmp_path / "b"))
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith("error: 2 security keys are connected")

    missing = run("secrets", "token", "info", "7", env=soft(tmp_path / "a"))
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[-1] == (
        f"error: there is no security key number 7 (connected: 1. SoftAuthenticator"
        f" ({tmp_path / 'a'}))"
    )


def test_info_matches_a_key_by_its_name(tmp_path: Path) -> None:
    plain, hid = tmp_path / "plain.json", tmp_path / "hid.json"
    env = {"SECRETS_AUTHENTICATOR": f"soft:{plain},softhid:{hid}"}
    for name, path in (
        ("SoftAuthenticator", plain),  # the whole name, though the other contains it
        ("softauthenticator (hid)", hid),  # any case
        (f"SoftAuthenticator ({plain})", plain),  # the label the touch prompts show
        ("HID", hid),  # part of a name
        ("hid.json", hid),  # part of a path
    ):
        shown = run("secrets", "token", "info", name, "--json", env=env)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["path"] == str(path), name

    choices = f"(connected: 1. SoftAuthenticator ({plain}), 2. SoftAuthenticator (HID) ({hid}))"
    unknown = run("secrets", "token", "info", "YubiKey", env=env)
    assert unknown.returncode == 2
    errors = [line for line in unknown.stderr.splitlines() if not line.startswith("warning: ")]
    assert errors == [f"error: no connected security key is called 'YubiKey' {choices}"]

    twins = soft(tmp_path / "a.json", tmp_path / "b.json")
    ambiguous = run("secrets", "token", "info", "softauthenticator", env=twins)
    assert ambiguous.returncode == 2
    assert ambiguous.stderr.splitlines()[-1].startswith(
        "error: 'softauthenticator' matches 2 security keys: name one by its number (connected: 1."
    )


def test_without_any_key_list_is_empty_and_info_fails_in_one_line(tmp_path: Path) -> None:
    listed = run("secrets", "token", "list", "--json")
    if listed.stdout.strip() != "[]":
        pytest.skip("a real security key is plugged in")
    assert listed.returncode == 0
    assert NO_KEY in listed.stderr

    info = run("secrets", "token", "info")
    assert info.returncode == 3
    assert info.stderr.splitlines() == [
        f"error: {NO_KEY}: plug one in, or set"
        " SECRETS_AUTHENTICATOR=soft:PATH to try the software authenticator"
    ]


def test_a_malformed_selection_is_one_usage_error(tmp_path: Path) -> None:
    result = run("secrets", "token", "list", env={"SECRETS_AUTHENTICATOR": "usb:1"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: SECRETS_AUTHENTICATOR='usb:1' is not understood: expected soft:PATH or softhid:PATH"
        " (several separated by commas), or leave it unset to use security keys"
    ]
