"""`pinpal --now` rehearses: it shows what would happen and stores nothing.

Unless PINPAL_TEST_CLOCK=1, which the other end-to-end tests set (tests/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run
from tests.pinpal.helpers import START, cli_service, seed

THREE_YEARS_ON = str(int(START) + 3 * 365 * 86400)


@pytest.fixture
def rehearsing(env: dict[str, str]) -> dict[str, str]:
    # tests.cli.run adds the test's own environment, where the variable is 1.
    return {**env, "PINPAL_TEST_CLOCK": "0"}


def state(env: dict[str, str]) -> dict[str, bytes]:
    home = Path(env["SECRETS_HOME"]) / "pinpal"
    return {path.name: path.read_bytes() for path in home.iterdir() if path.is_file()}


def test_a_drill_years_ahead_leaves_the_real_schedule_alone(rehearsing: dict[str, str]) -> None:
    secret = seed(rehearsing, "mail")["mail"]
    before = state(rehearsing)
    result = run("pinpal", "--now", THREE_YEARS_ON, "drill", input=f"{secret}\n", env=rehearsing)
    assert result.returncode == 0, result.stderr
    assert "1 of 1 right." in result.stdout
    note = "rehearsal: acting as if it were 2026-11-13 22:13 UTC; nothing is stored"
    assert note in result.stderr
    assert "PINPAL_TEST_CLOCK=1" in result.stderr
    assert state(rehearsing) == before
    record = cli_service(rehearsing).entry("mail").current
    assert (record.practices, record.due_at()) == (0, START)


def test_new_rotate_and_drop_at_now_store_nothing(rehearsing: dict[str, str]) -> None:
    seed(rehearsing, "mail")
    before = state(rehearsing)
    later = str(int(START) + 86400)
    for args, answers in (
        (("new", "bank", "--existing"), "a b\na b\n"),
        (("rotate", "mail", "--existing"), "c d\nc d\n"),
        (("drop", "--yes", "mail"), ""),
    ):
        result = run("pinpal", "--now", later, *args, input=answers, env=rehearsing)
        assert result.returncode == 0, result.stderr
        assert "rehearsal:" in result.stderr
    assert state(rehearsing) == before
    listed = json.loads(run("pinpal", "list", "--json", env=rehearsing).stdout)
    assert [(row["label"], row["role"], row["practices"]) for row in listed] == [
        ("mail", "current", 0)
    ]


def test_the_test_clock_variable_makes_now_store(env: dict[str, str]) -> None:
    secret = seed(env, "mail")["mail"]
    result = run("pinpal", "--now", THREE_YEARS_ON, "drill", input=f"{secret}\n", env=env)
    assert result.returncode == 0, result.stderr
    assert "rehearsal" not in result.stderr
    assert cli_service(env).entry("mail").current.practices == 1
