"""Command-line behaviour of rotate, drop, list and the `secrets pin` group."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from pinpal.cli import listing
from tests.cli import run
from tests.pinpal.helpers import START, cli_service, finish, seed, spawn, start


def test_rotate_lists_both_secrets_until_the_new_one_is_learned(env: dict[str, str]) -> None:
    old = seed(env, "phone", digits=6)["phone"]
    new, _ = start(env, "rotate", "phone", "--digits", "4")
    rows = json.loads(run("pinpal", "list", "--json", env=env).stdout)
    assert [(r["label"], r["role"], r["length"]) for r in rows] == [
        ("phone", "current", 4),
        ("phone", "retiring", 6),
    ]
    assert rows[0]["bits"] == pytest.approx(13.3)
    service = cli_service(env, now=time.time())
    now = service.clock()
    text = listing.render(listing.summaries(service.entries(), service.policy), now, False)
    assert "phone: 4 digits, 13.3 bits, 4 hidden, 0 forgotten; next practice in" in text
    assert "phone (old): 6 digits, 19.9 bits, 0 hidden, 0 forgotten; next practice now" in text
    assert new not in text
    assert old not in text


def test_drop_asks_first(env: dict[str, str]) -> None:
    seed(env, "mail")
    child = spawn(env, "drop", "mail")
    child.expect_exact("drop 'mail' and all its progress? [y/N]: ")
    child.sendline("n")
    child.expect_exact("kept 'mail': nothing was dropped.")
    finish(child, 0)
    assert cli_service(env).store.labels() == ["mail"]
    dropped = run("pinpal", "drop", "mail", input="y\n", env=env)
    assert dropped.stdout.endswith("dropped 'mail'.\n")
    assert cli_service(env).store.labels() == []
    assert not (Path(env["SECRETS_HOME"]) / "pinpal" / "due").exists()


def test_secrets_pin_is_the_same_tool(env: dict[str, str]) -> None:
    bare = run("secrets", "pin", env=env)
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout == "no secrets yet: `secrets pin new LABEL` starts one.\n"
    assert run("secrets", "pin", "check", env=env).stdout == ""
    helped = run("secrets", "pin", "--help", env=env)
    for command in ("new", "drill", "check", "shell-init", "list", "drop", "rotate"):
        assert command in helped.stdout


def one_error(result: subprocess.CompletedProcess[str], status: int) -> str:
    """The single `error:` line of a failed command (no traceback, nothing else)."""
    assert result.returncode == status, result.stderr
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def test_drill_of_an_unknown_label_is_not_found(env: dict[str, str]) -> None:
    seed(env, "mail")
    assert "no secret is called 'nope'" in one_error(run("pinpal", "drill", "nope", env=env), 1)
    # Known but not due: said so, about that label only.
    later = run("pinpal", "--now", str(START - 3600), "drill", "mail", env=env)
    assert later.stdout == "'mail' is not due; next practice in 1 hour.\n"


def test_existing_secret_is_asked_for_only_when_the_label_fits(env: dict[str, str]) -> None:
    seed(env, "mail")
    taken = run("pinpal", "new", "mail", "--existing", input="1234\n1234\n", env=env)
    assert "a secret called 'mail' exists" in one_error(taken, 2)
    missing = run("pinpal", "rotate", "nope", "--existing", input="1234\n1234\n", env=env)
    assert "no secret is called 'nope'" in one_error(missing, 1)


def test_existing_secret_can_be_piped_without_a_terminal(env: dict[str, str]) -> None:
    result = run("pinpal", "new", "pin", "--existing", input="4711\n4711\n", env=env)
    assert result.returncode == 0, result.stderr
    # Prompts only: getpass's "cannot control echo" warning has nothing to warn about.
    assert result.stderr == "your secret: again: "
    assert "4711" not in result.stdout


def test_list_and_drill_repair_a_damaged_due_file(env: dict[str, str]) -> None:
    seed(env, "mail")
    due = Path(env["SECRETS_HOME"]) / "pinpal" / "due"
    due.write_text("garbage\n")
    listed = run("pinpal", "--now", str(START), "list", env=env)
    assert listed.stdout == "mail: 2 words, 25.8 bits, 0 hidden, 0 forgotten; next practice now\n"
    assert due.read_text() == f"{int(START)}\n"
    due.unlink()
    assert run("pinpal", "--now", str(START - 60), "drill", env=env).returncode == 0
    assert due.read_text() == f"{int(START)}\n"


def test_test_checks_a_secret_that_is_not_due_and_a_right_answer_keeps_its_schedule(
    env: dict[str, str],
) -> None:
    secrets = seed(env, "mail")
    child = spawn(env, "drill")
    child.expect_exact("mail> ")
    child.sendline(secrets["mail"])
    child.expect_exact("right.")
    child.expect(r"mail: next practice in .* · 1 of 2 words hidden, 0 forgotten")
    finish(child)
    before = cli_service(env).next_due("mail")
    child = spawn(env, "test", "mail")
    child.expect_exact("mail> ")
    child.sendline(secrets["mail"])
    child.expect_exact("right.")
    finish(child)
    after = cli_service(env).next_due("mail")
    assert before is not None
    assert after is not None
    assert after >= before
    child = spawn(env, "test", "mail")
    for _ in range(3):
        child.expect_exact("mail> ")
        child.sendline("wrong words")
        child.expect_exact("not quite")
    finish(child)
    service = cli_service(env, now=1e12)
    entry = service.entry("mail")
    assert entry.current.due_at() <= entry.current.history[-1]


def test_an_empty_answer_is_a_skip(env: dict[str, str]) -> None:
    seed(env, "mail")
    child = spawn(env, "drill")
    child.expect_exact("mail> ")
    child.sendline("")
    child.expect_exact("skipped 'mail'; it stays due.")
    finish(child)
    record = cli_service(env).entry("mail").current
    assert (record.practices, record.lapses) == (0, 0)


def test_list_json_has_success_rate_and_last_practices(env: dict[str, str]) -> None:
    secrets = seed(env, "mail")
    child = spawn(env, "drill")
    child.expect_exact("mail> ")
    child.sendline(secrets["mail"])
    finish(child)
    listed = json.loads(run("pinpal", "list", "--json", env=env).stdout)
    assert listed[0]["success_rate"] == 1.0
    assert len(listed[0]["last_practices"]) == 1
    assert all(isinstance(moment, int) for moment in listed[0]["last_practices"])


def test_a_weak_passphrase_is_warned_with_its_bits_and_a_pin_never(env: dict[str, str]) -> None:
    _, printed = start(env, "new", "short", "--words", "3")
    assert "warning: 38.8 bits is weak" in printed
    # Nothing was hidden before the first practice: no "more".
    assert "from now on 1 word is hidden (°)." in printed
    _, printed = start(env, "new", "card", "--digits", "4")
    assert "warning" not in printed


def test_a_cheap_scrypt_json_is_recalibrated_and_a_learned_pin_never_rehashed_cheaper(
    env: dict[str, str],
) -> None:
    state = Path(env["SECRETS_HOME"]) / "pinpal"
    (state / "scrypt.json").write_text('{"n": 2, "r": 1, "p": 1}\n')
    answer = "1234 5678\n1234 5678\n"
    result = run("pinpal", "new", "pin", "--existing", input=answer, env=env)
    assert result.returncode == 0, result.stderr
    written = json.loads((state / "scrypt.json").read_text())
    assert written["n"] >= 2**14
    assert written["r"] >= 8
    stored = json.loads(cli_service(env).store.read("pin"))["current"]["verifier"]["scrypt"]
    assert stored == written
    # A cheaper cost written later is refused again; the next right answer keeps the hash.
    (state / "scrypt.json").write_text('{"n": 2, "r": 1, "p": 1}\n')
    later = str(int(START) + 10**8)
    practised = run("pinpal", "--now", later, "drill", input="1234 5678\n", env=env)
    assert practised.returncode == 0, practised.stderr
    again = json.loads(cli_service(env).store.read("pin"))["current"]["verifier"]["scrypt"]
    assert again["n"] >= 2**14
    assert again["r"] >= 8
