"""Fixtures of the TokenRing tests: a software key, a vault, a running agent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from secrets_common.vault import NewAuthenticatorSlot, Vault
from tests.cli import script
from tests.tokenring.invoke import Invoke, make_invoke
from tokenring import keys, locations
from tokenring.agent.client import AgentUnavailable, request


def touches(key: Path) -> int:
    """How many touches the SoftAuthenticator at ``key`` has granted."""
    if not key.exists():
        return 0
    count = json.loads(key.read_text())["touches"]
    assert isinstance(count, int)
    return count


@pytest.fixture
def soft_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SECRETS_AUTHENTICATOR pointing at a fresh SoftAuthenticator state file."""
    key = tmp_path / "key.json"
    monkeypatch.setenv("SECRETS_AUTHENTICATOR", f"soft:{key}")
    return key


@pytest.fixture
def vault_file(soft_key: Path) -> Path:
    """A TokenRing vault at the default place, with the soft key enrolled."""
    path = Path(locations.vault_path())
    vault, _ = Vault.create(path, NewAuthenticatorSlot("key-1", keys.key_source()))
    vault.lock()
    return path


class AgentProcess:
    """A ``tokenring agent`` subprocess, started and ready."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def status(self) -> dict[str, object]:
        return request({"op": "status"})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_agent(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> AgentProcess:
    read_end, write_end = os.pipe()
    log = tmp_path / f"agent-{len(list(tmp_path.glob('agent-*.log')))}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [script("tokenring"), "agent", "--ready-fd", str(write_end), *args],
            pass_fds=(write_end,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, **(env or {})},
        )
    os.close(write_end)
    agent = AgentProcess(process, log)
    with os.fdopen(read_end, "rb") as ready:
        verdict = ready.read()
    if verdict != b"ready\n":
        agent.stop()
        raise RuntimeError(f"agent did not start: {verdict!r}; log: {log.read_text()}")
    return agent


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[list[AgentProcess]]:
    """Agents started by a test (append to it); every one is stopped at the end."""
    started: list[AgentProcess] = []
    yield started
    for agent in started:
        agent.stop()


@pytest.fixture
def agent(vault_file: Path, tmp_path: Path, agents: list[AgentProcess]) -> AgentProcess:
    """An agent serving ``vault_file``, unlocked (one touch spent)."""
    started = start_agent(tmp_path)
    agents.append(started)
    return started


class SharedAgent:
    """One agent for the whole test session, with its own key, vault and socket.

    Starting an agent costs about a second; tests that only talk to one share
    it through :func:`shared_agent` and leave the vault as they found it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.key = root / "key.json"
        self.vault = root / "home" / "tokenring" / "vault"
        runtime = root / "runtime"
        runtime.mkdir(mode=0o700)
        self.socket = runtime / "secrets-toolkit" / "tokenring.sock"
        self.env = {
            "SECRETS_AUTHENTICATOR": f"soft:{self.key}",
            "SECRETS_HOME": str(root / "home"),
            "XDG_RUNTIME_DIR": str(runtime),
            "TOKENRING_VAULT": str(self.vault),
            "TOKENRING_SOCKET": str(self.socket),
        }
        source = keys.key_source(environ=self.env)
        vault, _ = Vault.create(self.vault, NewAuthenticatorSlot("key-1", source))
        vault.lock()
        self.process = start_agent(root, env=self.env)


@pytest.fixture(scope="session")
def shared_agent_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedAgent]:
    shared = SharedAgent(tmp_path_factory.mktemp("shared-agent"))
    yield shared
    shared.process.stop()


@pytest.fixture
def shared_agent(shared_agent_process: SharedAgent, monkeypatch: pytest.MonkeyPatch) -> SharedAgent:
    """The module's agent, with this test's environment pointed at it."""
    for name, value in shared_agent_process.env.items():
        monkeypatch.setenv(name, value)
    return shared_agent_process


def agent_running() -> bool:
    try:
        request({"op": "status"})
    except AgentUnavailable:
        return False
    return True


@pytest.fixture
def tokenring(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> Invoke:
    """``tokenring(*argv, input=..., env=...)``: the CLI run in this process."""
    return make_invoke(monkeypatch, capfd)
