"""A failed `new` or `rotate` leaves nothing half-made, or says exactly what it kept.

Through the real `pinpal` process: end of input, Ctrl-C in a terminal, and a
keyring that cannot store the first vault's key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli import run
from tests.pinpal.helpers import finish, seed, spawn


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
