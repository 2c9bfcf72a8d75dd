"""Bad input through the real `pinpal` process: one `error:` line, the right status, no loss.

Statuses follow the toolkit's table (README.md): 1 not found, 2 usage,
4 vault file, 130 interrupted. Every case checks that the vault file is
left exactly as it was, or that the answers already given were kept.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.cli import run
from tests.pinpal.helpers import cli_service, finish, keyring_file, seed, spawn

NO_KEYRING = "keyring.backends.fail.Keyring"


def vault_bytes(env: dict[str, str]) -> bytes:
    return (Path(env["SECRETS_HOME"]) / "pinpal" / "vault").read_bytes()


def practices(env: dict[str, str]) -> dict[str, int]:
    """Practices per label, read back in-process through the same vault and keyring."""
    return {entry.label: entry.current.practices for entry in cli_service(env).entries()}


def error_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    """The last stderr line, which must be the only `error:` one; no traceback."""
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: ")
    assert result.stderr.count("error:") == 1, result.stderr
    return last


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("new", "x", "--words", "0"), "--words must be between 1 and 24, not 0"),
        (("new", "x", "--words", "9" * 30), "--words must be between 1 and 24"),
        (("rotate", "x", "--digits", "-1"), "--digits must be between 1 and 64, not -1"),
        (("new", "x", "--existing", "--words", "3"), "choose one of"),
        (("--now", "nan", "list"), "--now must be a Unix time between 0 and"),
        (("--now", "1e300", "drill"), "--now must be a Unix time between 0 and"),
    ],
)
def test_bad_options_are_refused_before_the_vault_is_opened(
    env: dict[str, str], args: tuple[str, ...], says: str
) -> None:
    # No keyring backend at all: opening the vault would be another error.
    result = run("pinpal", *args, env={**env, "PYTHON_KEYRING_BACKEND": NO_KEYRING})
    assert says in error_line(result, 2)
    assert "your new secret" not in result.stdout
    assert not (Path(env["SECRETS_HOME"]) / "pinpal" / "vault").exists()


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (("new", "mail"), 2, "a secret called 'mail' exists"),
        (("rotate", "nope", "--words", "2"), 1, "no secret is called 'nope'"),
        (("drop", "nope", "--yes"), 1, "no secret is called 'nope'"),
    ],
)
def test_unknown_or_taken_labels(
    env: dict[str, str], args: tuple[str, ...], status: int, says: str
) -> None:
    secrets = seed(env, "mail")
    before = vault_bytes(env)
    result = run("pinpal", *args, env=env)
    assert says in error_line(result, status)
    assert vault_bytes(env) == before
    assert "your new secret" not in result.stdout
    assert secrets["mail"] not in result.stdout + result.stderr


def test_a_corrupt_vault_is_status_4_and_left_as_it_was(env: dict[str, str]) -> None:
    seed(env, "mail")
    path = Path(env["SECRETS_HOME"]) / "pinpal" / "vault"
    damaged = vault_bytes(env)[:300]
    path.write_bytes(damaged)
    for args in (("drill",), ("new", "other", "--digits", "4")):
        assert "vault" in error_line(run("pinpal", *args, env=env), 4)
    assert path.read_bytes() == damaged


def test_a_missing_keyring_secret_is_status_4_and_nothing_is_lost(env: dict[str, str]) -> None:
    seed(env, "mail")
    before = vault_bytes(env)
    keyring_file(env).unlink()
    result = run("pinpal", "drill", env=env)
    line = error_line(result, 4)
    assert "the keyring holds no secret" in line
    assert "`pinpal start-over` sets the vault aside" in line
    assert vault_bytes(env) == before


def test_an_unloadable_keyring_backend_is_a_usage_error(env: dict[str, str]) -> None:
    result = run("pinpal", "list", env={**env, "PYTHON_KEYRING_BACKEND": "no.such.Backend"})
    assert "PYTHON_KEYRING_BACKEND='no.such.Backend' cannot be loaded" in error_line(result, 2)


def test_end_of_input_at_a_prompt_records_nothing(env: dict[str, str]) -> None:
    seed(env, "mail")
    result = run("pinpal", "drill", input="", env=env)
    assert error_line(result, 2) == "error: no answer (end of input)"
    assert practices(env) == {"mail": 0}
    declined = run("pinpal", "drop", "mail", input="", env=env)
    assert error_line(declined, 2) == "error: no answer (end of input)"
    assert practices(env) == {"mail": 0}


def test_ctrl_c_at_a_prompt_keeps_the_answers_already_given(env: dict[str, str]) -> None:
    secrets = seed(env, "bank", "mail")
    child = spawn(env, "drill")
    child.expect_exact("bank> ")
    child.sendline(secrets["bank"])
    child.expect_exact("right.")
    child.expect_exact("mail> ")
    child.sendcontrol("c")
    child.expect_exact("error: interrupted; every answer given before was saved")
    assert finish(child, 130).count("error:") == 1
    assert practices(env) == {"bank": 1, "mail": 0}


def test_an_answer_that_is_not_text_is_refused_without_quoting_it(env: dict[str, str]) -> None:
    seed(env, "mail")
    child = spawn(env, "drill")
    child.expect_exact("mail> ")
    os.write(child.child_fd, b"42\xff17\r")
    child.expect_exact("error: the answer is not valid UTF-8 text; nothing was recorded")
    assert "42" not in finish(child, 2)
    assert practices(env) == {"mail": 0}


def test_two_drills_at_once_both_count(env: dict[str, str]) -> None:
    secrets = seed(env, "mail")
    first, second = spawn(env, "drill"), spawn(env, "drill")
    for child in (first, second):
        child.expect_exact("mail> ")
    for child in (first, second):
        child.sendline(secrets["mail"])
    for child in (first, second):
        assert "1 of 1 right." in finish(child)
    assert practices(env) == {"mail": 2}


def test_secrets_home_that_is_a_file_lists_nothing_and_new_fails_in_one_line(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home-file"
    home.write_text("not a directory")
    listing = run("pinpal", "list", env={"SECRETS_HOME": str(home)})
    assert listing.returncode == 0, listing.stderr
    assert "Traceback" not in listing.stderr
    created = run("pinpal", "new", "x", "--digits", "4", env={"SECRETS_HOME": str(home)})
    assert created.returncode == 4
    assert created.stderr.strip().startswith("error: cannot create the directory")
    assert home.read_text() == "not a directory"
