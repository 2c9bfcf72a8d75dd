"""Command-line behaviour of rotate, drop, list and the `secrets pin` group."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pexpect
import pytest

from tests.cli import run, script


@pytest.fixture
def env(isolated_environment: Path, tmp_path: Path) -> dict[str, str]:
    state = isolated_environment / "pinpal"
    state.mkdir(parents=True, mode=0o700)
    (state / "scrypt.json").write_text('{"n": 16, "r": 1, "p": 1}\n')
    return {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }


def start(env: dict[str, str], *args: str) -> str:
    """Run `new`/`rotate` in a terminal, type the shown secret once, return it."""
    child = pexpect.spawn(script("pinpal"), list(args), env=env, encoding="utf-8", timeout=30)
    child.expect(r"your new secret: (\S+)\r\n")
    secret = child.match.group(1)
    child.expect(r"> ")
    child.sendline(secret)
    child.expect_exact("right.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    return str(secret)


def test_rotate_lists_both_secrets_until_the_new_one_is_learned(env: dict[str, str]) -> None:
    old = start(env, "new", "phone", "--digits", "6")
    assert len(old) == 6
    assert old.isdigit()
    new = start(env, "rotate", "phone", "--digits", "4")
    rows = json.loads(run("pinpal", "list", "--json", env=env).stdout)
    assert [(r["label"], r["role"], r["length"]) for r in rows] == [
        ("phone", "current", 4),
        ("phone", "retiring", 6),
    ]
    assert rows[0]["bits"] == pytest.approx(13.3)
    text = run("pinpal", "list", env=env).stdout
    assert "phone: 4 digits, 13.3 bits, 4 hidden, 0 forgotten; next practice in" in text
    assert "phone (old): 6 digits" in text
    assert new not in text
    assert old not in text


def test_drop_asks_first(env: dict[str, str]) -> None:
    start(env, "new", "mail", "--words", "1")
    child = pexpect.spawn(script("pinpal"), ["drop", "mail"], env=env, encoding="utf-8", timeout=30)
    child.expect_exact("drop 'mail' and all its progress? [y/N]: ")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert json.loads(run("pinpal", "list", "--json", env=env).stdout)[0]["label"] == "mail"
    missing = run("pinpal", "drop", "nothing", "--yes", env=env)
    assert missing.returncode == 1
    assert missing.stderr == "error: no secret is called 'nothing'\n"


def test_duplicate_label_is_refused_and_no_secret_is_shown(env: dict[str, str]) -> None:
    start(env, "new", "mail", "--words", "1")
    again = run("pinpal", "new", "mail", env=env)
    assert again.returncode == 2
    assert "rotate mail" in again.stderr
    assert "your new secret" not in again.stdout


def test_secrets_pin_is_the_same_tool(env: dict[str, str]) -> None:
    bare = run("secrets", "pin", env=env)
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout == "no secrets yet: `pinpal new LABEL` starts one.\n"
    assert run("secrets", "pin", "check", env=env).stdout == ""
    helped = run("secrets", "pin", "--help", env=env)
    for command in ("new", "drill", "check", "shell-init", "list", "drop", "rotate"):
        assert command in helped.stdout


def test_conflicting_kinds_are_a_usage_error(env: dict[str, str]) -> None:
    result = run("pinpal", "new", "x", "--words", "3", "--digits", "4", env=env)
    assert result.returncode == 2
    assert "choose one of" in result.stderr
