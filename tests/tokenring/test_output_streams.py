"""`tokenring get` with a closed, full or missing output stream: one line, no lost touch."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli import script
from tests.tokenring.conftest import SharedAgent, touches
from tokenring.agent.client import request


def shell(redirect: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``tokenring ARGS`` with a shell redirection applied to it."""
    return subprocess.run(
        ["sh", "-c", f'exec "$0" "$@" {redirect}', script("tokenring"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def stored(shared_agent: SharedAgent) -> SharedAgent:
    request(
        {"op": "set", "service": "io", "user": "u", "value": "v", "vault": str(shared_agent.vault)}
    )
    return shared_agent


@pytest.mark.parametrize("agent_runs", [True, False], ids=["agent", "in-process"])
def test_closed_stdout_is_an_error_before_any_touch(
    stored: SharedAgent, monkeypatch: pytest.MonkeyPatch, agent_runs: bool
) -> None:
    if not agent_runs:
        monkeypatch.setenv("TOKENRING_NO_AGENT", "1")
    before = touches(stored.key)
    result = shell(">&-", "get", "io", "u")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: standard output is closed: nothing could be printed"
    )
    assert touches(stored.key) == before


@pytest.mark.parametrize("agent_runs", [True, False], ids=["agent", "in-process"])
def test_full_stdout_is_one_error_line(
    stored: SharedAgent, monkeypatch: pytest.MonkeyPatch, agent_runs: bool
) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    if not agent_runs:
        monkeypatch.setenv("TOKENRING_NO_AGENT", "1")
    result = shell(">/dev/full", "get", "io", "u")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: cannot write to standard output: No space left on device"]


def test_closed_stderr_still_prints_the_secret(stored: SharedAgent) -> None:
    result = shell("2>&-", "get", "io", "u")
    assert result.returncode == 0
    assert result.stdout == "v\n"


def test_closed_stdin_for_set_is_one_line(vault_file: Path) -> None:
    result = shell("<&-", "set", "s", "u")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: standard input is closed: pipe the secret in, or run on a terminal"
    ]


def test_undecodable_secret_is_refused_before_any_touch(vault_file: Path, soft_key: Path) -> None:
    before = touches(soft_key)
    result = subprocess.run(
        [script("tokenring"), "set", "s", "u"], input=b"\xff\xfe", capture_output=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.decode().splitlines()[-1] == (
        "error: the secret is not UTF-8 text; nothing was stored"
    )
    assert touches(soft_key) == before
