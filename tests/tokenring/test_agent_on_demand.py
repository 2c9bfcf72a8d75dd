"""The agent started on demand, as gpg-agent is: touches counted across real clients.

Every client here is a separate process using the real ``keyring`` API (the
way twine, pip and poetry call it) or the ``keyring`` command; the soft key's
state file counts the touches. Agents the clients start are found by their
socket and stopped after each test (tests/leftover_agents.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.cli import run
from tests.leftover_agents import stop_agents_under
from tests.tokenring.conftest import touches
from tokenring import locations
from tokenring.agent.client import AgentUnavailable, request

BACKEND = {"PYTHON_KEYRING_BACKEND": "tokenring.backend.TokenRingKeyring"}
NO_AGENT = {"TOKENRING_NO_AGENT": "1"}


def client(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A separate Python process running ``code`` with ``keyring`` imported."""
    return subprocess.run(
        [sys.executable, "-c", "import keyring\n" + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **BACKEND, **(env or {})},
        timeout=60,
        check=False,
    )


def agent_pid() -> int | None:
    try:
        pid = request({"op": "status"})["pid"]
    except AgentUnavailable:
        return None
    assert isinstance(pid, int)
    return pid


def agents_serving(vault: Path) -> list[int]:
    """Pids of the ``tokenring agent`` processes serving ``vault``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"agent" in words and str(vault).encode() in words:
            found.append(int(entry.name))
    return found


@pytest.fixture
def stored(vault_file: Path) -> Path:
    """Two entries, stored in-process (one touch each)."""
    for service, user, value in (("pypi", "__token__", "tok-1"), ("other", "bob", "pw-2")):
        made = run("tokenring", "set", service, user, input=value, env=NO_AGENT)
        assert made.returncode == 0, made.stderr
    return vault_file


def test_one_touch_to_unlock_then_one_per_secret_released(
    stored: Path, soft_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKENRING_IDLE_TIMEOUT", "1234")
    start = touches(soft_key)
    assert agent_pid() is None

    # poetry's availability check, a miss: it starts the agent, whose first
    # request unlocks the vault with the one touch.
    check = client('print(keyring.get_password("python-poetry-check", "poetry"))')
    assert check.returncode == 0, check.stderr
    assert check.stdout == "None\n", "nothing of the agent reaches the client's stdout"
    assert "tokenring agent:" not in check.stderr
    assert touches(soft_key) == start + 1
    pid = agent_pid()
    assert pid is not None
    assert request({"op": "status"})["idle_timeout"] == 1234.0

    # Misses, availability checks and user-name probes are free from now on.
    free = client(
        """
        assert keyring.get_password("python-poetry-check", "poetry") is None
        assert keyring.get_password("pypi", "someone-else") is None
        assert keyring.get_credential("https://nowhere.invalid/", None) is None
        credential = keyring.get_credential("pypi", None)
        print(credential.username)
        """
    )
    assert free.returncode == 0, free.stderr
    assert free.stdout == "__token__\n"
    assert touches(soft_key) == start + 1

    # Each secret released is one touch, announced on the client's own stderr.
    for expected in (2, 3):
        got = client('print(keyring.get_credential("pypi", None).password)')
        assert got.returncode == 0, got.stderr
        assert got.stdout == "tok-1\n"
        assert "wants 'pypi' / '__token__' — touch your key" in got.stderr
        assert touches(soft_key) == start + expected
    assert agent_pid() == pid, "every client used the one agent"
    assert agents_serving(stored) == [pid]


def test_without_the_agent_every_lookup_is_a_touch(stored: Path, soft_key: Path) -> None:
    start = touches(soft_key)
    for expected in (1, 2):
        missed = client('print(keyring.get_password("python-poetry-check", "p"))', NO_AGENT)
        assert missed.stdout == "None\n", missed.stderr
        assert touches(soft_key) == start + expected  # the names are encrypted too
    got = client('print(keyring.get_password("pypi", "__token__"))', NO_AGENT)
    assert got.stdout == "tok-1\n"
    assert touches(soft_key) == start + 3
    assert agent_pid() is None
    assert agents_serving(stored) == []


def test_concurrent_first_clients_start_one_agent(stored: Path, soft_key: Path) -> None:
    start = touches(soft_key)
    code = 'import keyring; print(keyring.get_password("pypi", "__token__"))'
    clients = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **BACKEND},
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=60) for process in clients]
    assert [out for out, _ in outputs] == ["tok-1\n"] * 4, [err for _, err in outputs]
    pid = agent_pid()
    assert pid is not None
    assert agents_serving(stored) == [pid], "one agent, however many clients raced"
    assert touches(soft_key) == start + 4, "one touch per secret; the first also unlocked"


def test_cold_user_name_lookup_says_so(stored: Path) -> None:
    through_agent = client('keyring.get_credential("pypi", None)')
    assert through_agent.returncode == 0, through_agent.stderr
    assert "looks up the user name stored for 'pypi' — touch your key" in through_agent.stderr
    assert stop_agents_under(stored.parents[2])
    in_process = client('keyring.get_credential("pypi", None)', NO_AGENT)
    assert "Touch your security key to look up the user name stored for 'pypi'" in (
        in_process.stderr
    )


def test_no_vault_means_no_agent(soft_key: Path) -> None:
    got = client('print(keyring.get_password("pypi", "__token__"))')
    assert got.stdout == "None\n", got.stderr
    assert not os.path.exists(locations.socket_path())
    assert touches(soft_key) == 0


def short_error(stderr: str) -> str:
    """The one error line of a client's traceback; checks nothing of python-fido2 shows."""
    assert "fido2" not in stderr
    assert "ctap" not in stderr.lower()
    assert stderr.count("Traceback") == 1, stderr
    assert "During handling" not in stderr
    assert "direct cause" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) < 25, stderr  # twine printed 165 lines, hatch 362
    return lines[-1]


def test_refused_touch_is_one_short_keyring_error(stored: Path) -> None:
    denied = {**NO_AGENT, "SECRETS_SOFT_PRESENCE": "deny"}
    got = client('keyring.get_password("pypi", "__token__")', denied)
    assert got.returncode == 1
    last = short_error(got.stderr)
    assert last.startswith("keyring.errors.KeyringError: TokenRing: ")
    assert "was not touched (presence refused): run the command again and touch the key to" in last
    assert last.endswith("read 'pypi' / '__token__'")
    command = run("keyring", "get", "pypi", "__token__", env={**BACKEND, **denied})
    assert command.returncode != 0
    assert command.stdout == ""
    assert short_error(command.stderr) == last


def test_refused_touch_through_the_agent_reads_as_one_sentence(stored: Path) -> None:
    # The agent starts on demand with the client's environment: its key refuses.
    got = client('keyring.get_password("pypi", "__token__")', {"SECRETS_SOFT_PRESENCE": "deny"})
    assert got.returncode == 1
    assert agent_pid() is not None
    last = short_error(got.stderr)
    assert last.startswith("keyring.errors.KeyringError: TokenRing: ")
    assert "touch the key to release 'pypi' / '__token__' to python" in last
    assert "touch your key" not in last, "the agent's event sentence stays out of it"


def test_keyring_command_errors_are_short(soft_key: Path) -> None:
    no_vault = run("keyring", "set", "svc", "u", input="pw\n", env=BACKEND)
    assert no_vault.returncode != 0
    # keyring's command prints its own traceback for a set error: one, and short.
    last = short_error(no_vault.stderr)
    assert last.startswith("keyring.errors.PasswordSetError: TokenRing: no TokenRing vault at")
    assert last.endswith("create one with `secrets ring init`")


def test_deleting_an_absent_entry(stored: Path) -> None:
    got = client(
        """
        try:
            keyring.delete_password("pypi", "nobody")
        except keyring.errors.PasswordDeleteError as error:
            print(error)
        """
    )
    assert got.stdout == "TokenRing: no entry for nobody in pypi\n", got.stderr


def test_an_empty_password_is_refused(stored: Path) -> None:
    got = client(
        """
        try:
            keyring.set_password("pypi", "__token__", "")
        except keyring.errors.PasswordSetError as error:
            print(error)
        print(keyring.get_password("pypi", "__token__"))
        """
    )
    assert got.stdout == "TokenRing: the password is empty; nothing was stored\ntok-1\n"


def test_a_client_that_cannot_start_an_agent_works_in_process(
    stored: Path, soft_key: Path, tmp_path: Path
) -> None:
    # No Unix socket can live at a path this long: the agent cannot listen.
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True, mode=0o700)
    start = touches(soft_key)
    got = client(
        'print(keyring.get_password("pypi", "__token__"))',
        {"TOKENRING_SOCKET": str(deep / "tokenring.sock")},
    )
    assert got.returncode == 0, got.stderr
    assert got.stdout == "tok-1\n"
    assert "error" not in got.stderr
    assert touches(soft_key) == start + 1
    assert agents_serving(stored) == []


@pytest.mark.parametrize(
    ("value", "wanted"), [("", True), ("0", True), ("1", False), ("yes", False)]
)
def test_no_agent_is_a_switch_that_0_leaves_on(value: str, wanted: bool) -> None:
    from tokenring.locations import agent_wanted
    from tokenring.service import TokenRing

    environ = {"TOKENRING_NO_AGENT": value, "SECRETS_HOME": "/nonexistent"}
    assert agent_wanted(environ) is wanted
    assert TokenRing.from_environment(environ).use_agent is wanted
