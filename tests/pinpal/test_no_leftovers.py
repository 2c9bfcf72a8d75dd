"""A failed `new` or `rotate` leaves nothing half-made, or says exactly what it kept.

Through the real `pinpal` process: end of input, Ctrl-C in a terminal, and a
keyring that cannot store the first vault's key.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
from pathlib import Path

import pytest
from keyrings.alt.escape import unescape

from pinpal.storage.vaultstore import VAULT_FILE
from tests.cli import run
from tests.pinpal.helpers import finish, keyring_file, plain_keyring, seed, spawn


def listed(env: dict[str, str]) -> list[tuple[str, str, int]]:
    result = run("pinpal", "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return [(row["label"], row["role"], row["length"]) for row in json.loads(result.stdout)]


def files(home: Path) -> set[str]:
    return {path.name for path in home.rglob("*") if path.is_file()}


def test_new_without_an_answer_stores_nothing(env: dict[str, str]) -> None:
    result = run("pinpal", "new", "phone", "--digits", "6", input="", env=env)
    assert result.returncode == 2, result.stderr
    assert (
        result.stderr.splitlines()[-1] == "error: no answer (end of input); 'phone' was not stored"
    )
    assert "Traceback" not in result.stderr
    assert listed(env) == []
    # A second try is a plain `new`, not "a secret called 'phone' exists".
    again = run("pinpal", "new", "phone", "--digits", "6", input="", env=env)
    assert "'phone' was not stored" in again.stderr


def test_ctrl_c_in_new_before_any_answer_stores_nothing(env: dict[str, str]) -> None:
    seed(env, "mail")
    child = spawn(env, "new", "phone", "--digits", "6")
    child.expect_exact("phone> ")
    child.sendcontrol("c")
    child.expect_exact("error: interrupted; 'phone' was not stored")
    printed = finish(child, 130)
    assert printed.count("error:") == 1
    assert "every answer given before was saved" not in printed
    assert listed(env) == [("mail", "current", 2)]


def test_ctrl_c_in_new_after_an_answer_says_it_was_kept(env: dict[str, str]) -> None:
    child = spawn(env, "new", "phone", "--digits", "6")
    child.expect_exact("phone> ")
    child.sendline("1")  # wrong length: graded, and saved
    child.expect_exact("not quite")
    child.expect_exact("phone> ")
    child.sendcontrol("c")
    child.expect_exact("error: interrupted; 'phone' is stored, with the answers given")
    finish(child, 130)
    assert listed(env) == [("phone", "current", 6)]


def test_rotate_without_an_answer_keeps_only_the_old_secret(env: dict[str, str]) -> None:
    seed(env, "phone", digits=6)
    result = run("pinpal", "rotate", "phone", "--digits", "4", input="", env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        "error: no answer (end of input); no new secret was stored: "
        "the one in use under 'phone' stays"
    )
    assert listed(env) == [("phone", "current", 6)]


def test_rotate_after_an_answer_says_both_are_kept(env: dict[str, str]) -> None:
    seed(env, "phone", digits=6)
    result = run("pinpal", "rotate", "phone", "--digits", "4", input="1\n", env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        "error: no answer (end of input); the new secret of 'phone' is stored, "
        "with the answers given; the old one stays in use until the new is learned"
    )
    assert listed(env) == [("phone", "current", 4), ("phone", "retiring", 6)]


def test_a_keyring_that_cannot_store_leaves_no_hash_cost_and_no_lock(tmp_path: Path) -> None:
    # keyrings.alt cannot make its directory under a file: the first vault's
    # key cannot be stored. No scrypt.json is pre-written: `new` calibrates.
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    home = tmp_path / "fresh-home"
    env = {
        "SECRETS_HOME": str(home),
        "XDG_DATA_HOME": str(blocked),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
    }
    result = run("pinpal", "new", "phone", "--digits", "6", input="", env=env)
    assert result.returncode != 0
    assert result.stderr.count("error:") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert files(home) == set()


def test_an_answer_that_is_not_text_in_new_stores_nothing(env: dict[str, str]) -> None:
    child = spawn(env, "new", "phone", "--digits", "6")
    child.expect_exact("phone> ")
    os.write(child.child_fd, b"42\xff17\r")
    child.expect_exact(
        "error: the answer is not valid UTF-8 text; nothing was recorded; 'phone' was not stored"
    )
    finish(child, 2)
    assert listed(env) == []


def snapshot(env: dict[str, str]) -> tuple[dict[str, bytes], set[tuple[str, str, str]]]:
    """Every path under $SECRETS_HOME with its bytes, and every keyring entry."""
    home = Path(env["SECRETS_HOME"])
    tree = {
        str(path.relative_to(home.parent)): path.read_bytes() if path.is_file() else b"<dir>"
        for path in [home, *home.rglob("*")]
        if path.exists()
    }
    config = configparser.RawConfigParser()
    config.read(keyring_file(env), encoding="utf-8")
    keyring = plain_keyring(env)
    entries = {
        (
            unescape(section),
            unescape(option),
            keyring.get_password(unescape(section), unescape(option)) or "",
        )
        for section in config.sections()
        for option in config.options(section)
    }
    return tree, entries


def fresh_machine(env: dict[str, str]) -> dict[str, str]:
    """No $SECRETS_HOME yet (no scrypt.json: `new` calibrates); another program's keyring item."""
    shutil.rmtree(env["SECRETS_HOME"])
    plain_keyring(env).set_password("mail.example", "ann", "not PINPal's")
    return env


@pytest.mark.parametrize("first", [True, False], ids=["fresh-machine", "home-with-scrypt-json"])
def test_an_undone_first_new_leaves_home_and_keyring_as_they_were(
    env: dict[str, str], first: bool
) -> None:
    if first:
        fresh_machine(env)
    before = snapshot(env)
    result = run("pinpal", "new", "phone", "--digits", "6", input="", env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1].endswith("'phone' was not stored")
    assert snapshot(env) == before
    # And the next `new` starts a vault as on the first day.
    made = run("pinpal", "new", "bank", "--existing", input="4711\n4711\n", env=env)
    assert made.returncode == 0, made.stderr
    assert listed(env) == [("bank", "current", 4)]


def test_ctrl_c_in_a_first_new_leaves_home_and_keyring_as_they_were(env: dict[str, str]) -> None:
    fresh_machine(env)
    before = snapshot(env)
    child = spawn(env, "new", "phone", "--digits", "6")
    child.expect_exact("phone> ")
    child.sendcontrol("c")
    child.expect_exact("error: interrupted; 'phone' was not stored")
    finish(child, 130)
    assert snapshot(env) == before


def test_an_undone_new_beside_other_secrets_keeps_their_vault(env: dict[str, str]) -> None:
    seed(env, "mail")
    vault = Path(env["SECRETS_HOME"]) / "pinpal" / VAULT_FILE
    result = run("pinpal", "new", "phone", "--digits", "6", input="", env=env)
    assert result.returncode == 2, result.stderr
    assert vault.exists()
    assert listed(env) == [("mail", "current", 2)]
