"""``tokenring recover``, ``restore``, ``remove-slot`` and rollback, as a user runs them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.cli import run
from tests.tokenring.conftest import AgentProcess, start_agent, touches
from tests.tokenring.invoke import Invoke
from tests.tokenring.test_cli import one_error_line


@pytest.fixture(autouse=True)
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys are lost and slots removed in-process: no agent on demand keeps the old key."""
    monkeypatch.setenv("TOKENRING_NO_AGENT", "1")


CODE = re.compile(r"^\s+([0-9A-Z]{4}(?:-[0-9A-Z]{4}){7})$", re.MULTILINE)


def _code(stdout: str) -> str:
    found = CODE.findall(stdout)
    assert len(found) == 1, stdout
    return str(found[0])


def test_recover_after_the_key_file_is_deleted(
    tokenring: Invoke, soft_key: Path, tmp_path: Path
) -> None:
    created = tokenring("init", "--recovery-code")
    assert created.returncode == 0, created.stderr
    code = _code(created.stdout)
    for user in ("alice", "bob", "carol"):
        assert tokenring("set", "svc", user, input=f"pw-{user}").returncode == 0
    soft_key.unlink()  # the only key is lost

    new_key = tmp_path / "new-key.json"
    env = {"SECRETS_AUTHENTICATOR": f"soft:{new_key}"}
    malformed = tokenring("recover", input="not a code\n", env=env)
    one_error_line(malformed, 2, "error: a recovery code has 32 characters")
    wrong = tokenring("recover", input="0000-0000-0000-0000-0000-0000-0000-0000\n", env=env)
    one_error_line(wrong, 4, "error: this recovery code does not open")
    assert touches(new_key) == 0

    typed = code.lower().replace("-", "") + "\n"  # case and dashes are forgiven
    recovered = tokenring("recover", "--remove", "key-1", input=typed, env=env)
    assert recovered.returncode == 0, recovered.stderr
    new_code = _code(recovered.stdout)
    assert new_code != code
    # No lost key touched; the new key: enrolment (1) + three entries, two per touch (2).
    assert touches(new_key) == 3
    slots = tokenring("slots", env=env).stdout
    assert "key-1\t" not in slots
    assert "key-2\tauthenticator\teveryday key" in slots
    for user in ("alice", "bob", "carol"):
        before = touches(new_key)
        got = tokenring("get", "svc", user, env=env)
        assert got.stdout == f"pw-{user}\n", got.stderr
        assert touches(new_key) == before + 1
    # The old code is retired.
    old = tokenring("recover", input=code + "\n", env=env)
    one_error_line(old, 4, "error: this recovery code does not open")


def test_remove_slot_refuses_the_last_key(tokenring: Invoke, soft_key: Path) -> None:
    assert tokenring("init", "--recovery-code").returncode == 0
    refused = tokenring("remove-slot", "key-1")
    one_error_line(refused, 2, "error: cannot remove 'key-1': it is the last security key")
    assert touches(soft_key) == 1


def test_remove_slot_says_what_an_old_copy_still_exposes(
    tokenring: Invoke, soft_key: Path, tmp_path: Path
) -> None:
    assert tokenring("init", "--no-recovery-code").returncode == 0
    office = tmp_path / "office.json"
    both = {"SECRETS_AUTHENTICATOR": f"soft:{soft_key},soft:{office}"}
    assert tokenring("set", "svc", "u", input="pw").returncode == 0
    enrolled = tokenring("enroll", "--name", "office", env=both)
    assert enrolled.returncode == 0, enrolled.stderr
    removed = tokenring("remove-slot", "office")
    assert removed.returncode == 0, removed.stderr
    assert "could read 1 entries" in removed.stderr
    assert "a copy of the vault file from before this removal still exposes them" in removed.stderr


def test_rollback_is_refused_in_process_and_by_a_running_agent(
    tokenring: Invoke,
    vault_file: Path,
    tmp_path: Path,
    agents: list[AgentProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert tokenring("set", "svc", "u", input="one").returncode == 0
    backup = tmp_path / "backup"
    backup.mkdir(mode=0o700)
    shutil.copy(vault_file, backup / "vault")
    assert tokenring("set", "svc", "u", input="two").returncode == 0
    agent = start_agent(tmp_path)
    agents.append(agent)
    shutil.copy(backup / "vault", vault_file)

    cold = run("tokenring", "get", "svc", "u", env={"TOKENRING_NO_AGENT": "1"})
    one_error_line(cold, 4, "error: ")
    assert re.search(r"generation \d+ of its vault, older than generation \d+", cold.stderr)
    assert cold.stdout == ""

    # The agent has its own memory: it refuses even with the state file gone.
    state = tmp_path / "secrets-home" / "vault-generations.json"
    state.unlink()
    monkeypatch.delenv("TOKENRING_NO_AGENT")
    through_agent = run("tokenring", "get", "svc", "u")
    one_error_line(through_agent, 4, "error: ")
    assert "older than generation" in through_agent.stderr
    assert through_agent.stdout == ""
    before = vault_file.read_bytes()
    stored = run("tokenring", "set", "svc", "u", input="three")
    assert stored.returncode == 4
    assert vault_file.read_bytes() == before, "nothing is written into a refused file"

    # Putting the backup back on purpose.
    restored = tokenring("restore", str(backup / "vault"))
    assert restored.returncode == 0, restored.stderr
    assert run("tokenring", "get", "svc", "u").stdout == "one\n"


def test_upgrade_converts_the_v1_fixture(
    tokenring: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import os

    import keyring.core
    from keyrings.alt.file import PlaintextKeyring

    fixture = Path(__file__).parents[1] / "fixtures" / "vault" / "v1"
    expected = json.loads((fixture / "expected.json").read_text())
    vault = tmp_path / "vaults" / "vault"
    vault.parent.mkdir(mode=0o700)
    shutil.copy(fixture / "vault", vault)
    os.chmod(vault, 0o600)
    key = tmp_path / "fixture-key.json"
    shutil.copy(fixture / "soft-key.json", key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("TOKENRING_DISABLE", "1")
    stored = expected["keyring"]
    backend = PlaintextKeyring()
    backend.set_password(stored["service"], stored["username"], stored["password"])
    # The process-wide backend, put back after the test.
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    env = {"SECRETS_AUTHENTICATOR": f"soft:{key}", "TOKENRING_VAULT": str(vault)}
    assert "format version 1" in tokenring("slots", env=env).stderr
    before = touches(key)
    upgraded = tokenring("upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "converted" in upgraded.stderr
    assert _code(upgraded.stdout) != expected["recovery_code"]
    assert touches(key) - before == 3, "keyring opens v1; index + 1 entry, then 2 + 1"
    got = tokenring("get", "pypi.org", "__token__", env=env)
    assert got.stdout == "pypi-AgEIcHlwaS5vcmcCJGV4YW1wbGU\n", got.stderr
    again = tokenring("upgrade", env=env)
    assert "already in format version 2" in again.stderr


def test_recover_stops_the_agent_that_asked_the_lost_key(
    tokenring: Invoke,
    soft_key: Path,
    tmp_path: Path,
    agents: list[AgentProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created = tokenring("init", "--recovery-code")
    assert created.returncode == 0, created.stderr
    code = _code(created.stdout)
    assert tokenring("set", "svc", "u", input="pw").returncode == 0
    agent = start_agent(tmp_path)  # with the key of before in its environment
    agents.append(agent)
    monkeypatch.delenv("TOKENRING_NO_AGENT")
    assert run("tokenring", "get", "svc", "u").stdout == "pw\n"
    soft_key.unlink()

    new_key = tmp_path / "new-key.json"
    env = {"SECRETS_AUTHENTICATOR": f"soft:{new_key}"}
    recovered = run("tokenring", "recover", "--remove", "key-1", input=code + "\n", env=env)
    assert recovered.returncode == 0, recovered.stderr
    assert "stopped the running agent" in recovered.stdout + recovered.stderr
    assert agent.process.wait(timeout=10) == 0
    try:
        # Before, the agent went on asking the lost key: "this key is not enrolled".
        before = touches(new_key)
        got = run("tokenring", "get", "svc", "u", env=env)
        assert (got.returncode, got.stdout) == (0, "pw\n"), got.stderr
        assert touches(new_key) == before + 1
    finally:
        run("tokenring", "stop", env=env)  # the agent that `get` started on demand
