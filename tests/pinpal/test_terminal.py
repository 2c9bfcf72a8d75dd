"""End to end through a real terminal (pexpect): learn a secret over simulated days.

Days are simulated with ``--now``, the documented option that sets the clock
for one command; the test comes back when the due-time file says so, as the
shell prompt would. The keyring is keyrings.alt's file backend; the hash cost
is set explicitly through the calibration file.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest

from pinpal.cli.quickcheck import check, read_due
from pinpal.learning.secretgen import Kind
from tests.pinpal.helpers import cli_service, finish, spawn, start

START = 1_800_000_000


def marker_at(env: dict[str, str], moment: float) -> str:
    printed = io.StringIO()
    check(environ=env, now=moment, out=printed)
    return printed.getvalue()


def test_learn_a_passphrase_over_simulated_days(env: dict[str, str], tmp_path: Path) -> None:
    now = START
    secret, said = start(env, "--now", str(now), "new", "laptop", "--words", "2")
    assert "laptop: 2 words, 25.8 bits, 0 hidden, 0 forgotten\r\n" in said
    assert f"laptop: {secret}\r\nlaptop> " in said

    due_file = str(Path(env["SECRETS_HOME"]) / "pinpal" / "due")
    hints: list[str] = []
    for _ in range(40):
        due = read_due(due_file)
        assert due is not None
        if not hints:
            # What the prompt would show a second before and at the due time.
            assert marker_at(env, due - 1) == ""
            assert marker_at(env, due) == "[pin]\n"
        now = max(now, due)
        child = spawn(env, "--now", str(now))  # bare pinpal drills
        child.expect(r"laptop: ([^\r\n]*)\r\n")
        hints.append(child.match.group(1))
        child.expect_exact("laptop> ")
        child.sendline(secret)  # no echo: the answer must not come back
        index = child.expect_exact(["learned!", "1 of 1 right."])
        output = child.before
        finish(child)
        assert secret not in output
        if index == 0:
            break
    else:
        pytest.fail(f"not learned; hints were {hints}")

    first, second = secret.split()
    assert hints[0] == f"° {second}"
    assert "• •" not in hints  # the last prompt still had a stored token
    assert "°" in hints[-1]
    print(f"learned after {len(hints) + 1} practices: {hints}")
    learned = cli_service(env).entry("laptop").current
    assert learned.learned
    assert learned.due_at() - now > 3600
    assert now - START > 12 * 3600

    # A wrong answer after learning: PINPal can only say that something is wrong.
    child = spawn(env, "--now", str(math.ceil(learned.due_at())), "drill")
    child.expect_exact("laptop: • •")
    child.expect_exact("laptop> ")
    child.sendline(f"{second} {first}" if first != second else "x y")
    child.expect_exact("PINPal keeps none of its 2 words, only a hash")
    child.expect_exact("laptop: • •")
    child.sendline(secret)
    child.expect_exact("right.")
    finish(child)

    # Nothing outside the vault holds the secret; inside it, the learned
    # record holds no token (read back through the same keyring file).
    home = Path(env["SECRETS_HOME"])
    files = [p for p in [*home.rglob("*"), *Path(env["XDG_DATA_HOME"]).rglob("*")] if p.is_file()]
    assert {p.name for p in files} == {
        "due",
        "due-labels",  # labels and due times for `pinpal remind`, never a secret
        "listing.json",  # what `pinpal list` shows, never a secret (checked below)
        "scrypt.json",
        "vault",
        "vault.lock",
        "vault.pin",  # the vault PINPal trusts: its id, keyring user and a tag of its key
        "keyring_pass.cfg",
        "vault-generations.json",  # the vault's rollback log: ids and generations only
        "vault-generations.json.lock",
    }
    for path in files:
        assert secret.encode() not in path.read_bytes(), path
    (summary,) = json.loads((home / "pinpal" / "listing.json").read_text())["summaries"]
    shown = {value for value in summary.values() if isinstance(value, str)}
    assert shown == {"laptop", "current", "words", "word"}  # no word of the secret
    assert (home / "pinpal" / "due").read_text().strip().isdigit()
    stored = cli_service(env).store.read("laptop")
    positions = json.loads(stored)["current"]["positions"]
    assert [sorted(p) for p in positions] == [["stability", "stage"]] * 2


def test_existing_secret_is_read_without_echo_and_confirmed(env: dict[str, str]) -> None:
    child = spawn(env, "--now", str(START), "new", "bank", "--existing")
    child.expect_exact("your secret: ")
    child.sendline("4711 0815")
    child.expect_exact("again: ")
    child.sendline("4711 0815")
    assert "4711" not in finish(child)
    record = cli_service(env).entry("bank").current
    assert record.kind is Kind.EXISTING
    assert record.bits is None
    assert record.progress == (1, 0, 2)

    child = spawn(env, "new", "other", "--existing")
    child.expect_exact("your secret: ")
    child.sendline("abc")
    child.expect_exact("again: ")
    child.sendline("abd")
    assert "differ" in finish(child, 2)
