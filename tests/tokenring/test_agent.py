"""The agent as a real subprocess: serving, touches, frames, timeouts, sockets."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import stat
import struct
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cli import run
from tests.tokenring.conftest import (
    AgentProcess,
    SharedAgent,
    agent_running,
    start_agent,
    touches,
)
from tests.tokenring.invoke import Invoke
from tokenring import locations
from tokenring.agent import protocol
from tokenring.agent.client import AgentUnavailable, request

POLL = 0.05
PATIENCE = 15.0


def wait_until_locked(agent: AgentProcess) -> float:
    """Poll the agent's status (bounded) until it reports itself locked."""
    started = time.monotonic()
    while time.monotonic() - started < PATIENCE:
        if agent.status()["locked"] is True:
            return time.monotonic() - started
        time.sleep(POLL)
    raise AssertionError("the agent did not lock itself")


def test_get_and_set_through_agent_cost_one_touch_each(
    tokenring: Invoke, agent: AgentProcess, soft_key: Path
) -> None:
    assert touches(soft_key) == 2  # creating the vault, starting the agent
    after_start = touches(soft_key)
    stored = run(
        "tokenring", "set", "https://upload.pypi.org/legacy/", "__token__", input="s3cret\n"
    )
    assert stored.returncode == 0, stored.stderr
    assert "wants to store" in stored.stderr
    assert touches(soft_key) == after_start + 1, "format 2: a write is one touch"
    for expected in (2, 3):
        got = tokenring("get", "https://upload.pypi.org/legacy/", "__token__")
        assert got.returncode == 0, got.stderr
        assert got.stdout == "s3cret\n"
        assert touches(soft_key) == after_start + expected
    listed = tokenring("list")
    assert listed.stdout == "https://upload.pypi.org/legacy/\t__token__\n"
    assert touches(soft_key) == after_start + 3, "listing through the unlocked agent is free"
    assert tokenring("delete", "https://upload.pypi.org/legacy/", "__token__").returncode == 0
    assert touches(soft_key) == after_start + 3, "and so is deleting"


def test_touch_prompt_names_the_entry_and_the_caller(shared_agent: SharedAgent) -> None:
    run("tokenring", "set", "pypi", "__token__", input="x")
    got = run("tokenring", "get", "pypi", "__token__")
    run("tokenring", "delete", "pypi", "__token__")
    assert "tokenring (pid " in got.stderr
    assert "wants 'pypi' / '__token__' — touch your key" in got.stderr
    # the foreground agent asks on its own terminal too, in one sentence
    log = shared_agent.process.log.read_text()
    assert "Touch your security key to release 'pypi' / '__token__' to tokenring (pid " in log


def test_touch_prompt_names_pinpals_vault_key(tokenring: Invoke, agent: AgentProcess) -> None:
    # PINPal's vault header is all the agent reads to know the entry for its key.
    vault_id = "d0c8" * 8
    pinpal = Path(os.environ["SECRETS_HOME"]) / "pinpal"
    pinpal.mkdir(mode=0o700)
    (pinpal / "vault").write_text(json.dumps({"vault_id": vault_id}) + "\n")
    user = f"vault:{vault_id}:ee330788"
    stored = run("tokenring", "set", "secrets-toolkit", user, input="k")
    assert "wants to store PINPal's vault key — touch your key" in stored.stderr
    got = run("tokenring", "get", "secrets-toolkit", user)
    assert got.returncode == 0, got.stderr
    assert "wants PINPal's vault key — touch your key" in got.stderr
    assert user not in got.stderr
    assert "Touch your security key to release PINPal's vault key to tokenring (pid " in (
        agent.log.read_text()
    )


def test_with_two_keys_the_agent_names_the_key_to_touch(
    tokenring: Invoke,
    vault_file: Path,
    soft_key: Path,
    tmp_path: Path,
    agents: list[AgentProcess],
) -> None:
    spare = tmp_path / "spare.json"
    both = {"SECRETS_AUTHENTICATOR": f"soft:{soft_key},soft:{spare}"}
    agents.append(start_agent(tmp_path, env=both))
    assert tokenring("set", "s", "u", input="x").returncode == 0
    log = agents[-1].log.read_text()
    prompts = [line for line in log.splitlines() if "Touch your security key to store" in line]
    assert len(prompts) == 1, log
    assert prompts[0].startswith("tokenring agent: Touch your security key to store 's' / 'u' for ")
    assert prompts[0].endswith(f"(SoftAuthenticator ({soft_key}), 30 s)")


def test_missing_entry_through_agent_costs_no_touch(
    tokenring: Invoke, shared_agent: SharedAgent
) -> None:
    before = touches(shared_agent.key)
    got = tokenring("get", "pypi", "nobody")
    assert got.returncode == 1
    assert got.stderr == "error: no entry for nobody in pypi\n"
    assert touches(shared_agent.key) == before


def test_socket_is_private(agent: AgentProcess) -> None:
    path = Path(locations.socket_path())
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.parent == Path(os.environ["XDG_RUNTIME_DIR"]) / "secrets-toolkit"


def test_agent_is_hardened(shared_agent: SharedAgent) -> None:
    agent = shared_agent.process
    status = agent.status()
    assert status["hardening"] == ["no-core-dumps", "no-ptrace"]
    limits = Path(f"/proc/{agent.process.pid}/limits").read_text()
    core = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
    assert core.split()[4:6] == ["0", "0"]


def _raw_connection() -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(locations.socket_path())
    return sock


def _closed_after(sock: socket.socket) -> list[bytes]:
    """Everything the agent sends until it closes the connection.

    Closing with unread input makes the kernel reset the connection, which
    may discard the agent's last answer: that counts as closed too.
    """
    received = []
    try:
        while chunk := sock.recv(65536):
            received.append(chunk)
    except ConnectionResetError:
        pass
    return received


@pytest.mark.parametrize(
    "garbage",
    [
        struct.pack(">I", 5) + b"nope!",  # not JSON
        struct.pack(">I", 2) + b"[]",  # not an object
        protocol.encode({"op": "status"}).replace(b'"v":1', b'"v":9'),  # another version
        struct.pack(">I", 4) + b"\xff\xfe\x00\x01",  # not UTF-8
    ],
    ids=["not-json", "not-object", "version", "not-utf8"],
)
def test_malformed_frame_closes_only_that_connection(
    shared_agent: SharedAgent, garbage: bytes
) -> None:
    agent = shared_agent.process
    bystander = _raw_connection()
    with _raw_connection() as bad:
        bad.sendall(garbage)
        answer = b"".join(_closed_after(bad))
    assert b'"ok":false' in answer
    protocol.write_frame(bystander, {"op": "status"})
    assert protocol.read_frame(bystander)["ok"] is True
    bystander.close()
    assert agent.process.poll() is None


def test_oversized_frame_is_refused_unread(shared_agent: SharedAgent) -> None:
    agent = shared_agent.process
    with _raw_connection() as bad:
        bad.sendall(struct.pack(">I", protocol.MAX_FRAME + 1) + b"x" * 1024)
        answer = b"".join(_closed_after(bad))
    assert answer == b"" or b"exceeds" in answer
    assert agent.status()["ok"] is True


def test_truncated_frame_keeps_others_served(shared_agent: SharedAgent) -> None:
    agent = shared_agent.process
    stalled = _raw_connection()
    stalled.sendall(struct.pack(">I", 100) + b'{"v":1,')  # and never the rest
    assert agent.status()["ok"] is True  # served while that connection hangs
    stalled.close()
    with _raw_connection() as cut:
        cut.sendall(struct.pack(">I", 100) + b'{"v":1,')
        cut.shutdown(socket.SHUT_WR)
        assert b"truncated" in b"".join(_closed_after(cut))
    assert agent.status()["ok"] is True


def test_concurrent_clients_are_all_served(shared_agent: SharedAgent) -> None:
    soft_key = shared_agent.key
    vault = locations.vault_path()
    for number in range(4):
        request(
            {
                "op": "set",
                "service": "svc",
                "user": f"u{number}",
                "value": f"p{number}",
                "vault": vault,
            }
        )
    before = touches(soft_key)
    results: dict[int, str] = {}
    failures: list[BaseException] = []

    def client(number: int) -> None:
        try:
            answer = request(
                {"op": "get", "service": "svc", "user": f"u{number % 4}", "vault": vault},
                on_event=None,
            )
            results[number] = str(answer["value"])
            assert request({"op": "list", "vault": vault})["entries"]
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    assert results == {n: f"p{n % 4}" for n in range(8)}
    assert touches(soft_key) == before + 8
    for number in range(4):
        request({"op": "delete", "service": "svc", "user": f"u{number}", "vault": vault})


def test_idle_timeout_locks_and_a_get_unlocks_with_one_touch(
    tokenring: Invoke, vault_file: Path, tmp_path: Path, agents: list[AgentProcess], soft_key: Path
) -> None:
    agent = start_agent(tmp_path, "--idle-timeout", "0.5", "--lifetime", "60")
    agents.append(agent)
    request({"op": "set", "service": "s", "user": "u", "value": "v", "vault": str(vault_file)})
    assert agent.status()["idle_timeout"] == 0.5
    wait_until_locked(agent)
    # Nothing else talks to this agent: the get below reaches it locked.
    before = touches(soft_key)
    got = tokenring("get", "s", "u")
    assert got.stdout == "v\n"
    assert "touch your key" in got.stderr
    assert touches(soft_key) == before + 1  # unlocking and reading: one touch


def test_lifetime_locks_even_a_busy_agent(
    vault_file: Path, tmp_path: Path, agents: list[AgentProcess]
) -> None:
    agent = start_agent(tmp_path, "--idle-timeout", "60", "--lifetime", "1.5")
    agents.append(agent)
    started = time.monotonic()
    while not agent.status()["locked"]:
        assert time.monotonic() - started < PATIENCE, "the agent outlived its lifetime"
        request({"op": "list", "vault": str(vault_file)})  # keeps it from ever being idle
        time.sleep(POLL)


def test_timeouts_from_environment(
    tokenring: Invoke,
    vault_file: Path,
    tmp_path: Path,
    agents: list[AgentProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOKENRING_IDLE_TIMEOUT", "42")
    monkeypatch.setenv("TOKENRING_LIFETIME", "99")
    agents.append(start_agent(tmp_path))
    shown = tokenring("status", "--json")
    assert '"idle_timeout": 42.0' in shown.stdout
    assert '"lifetime": 99.0' in shown.stdout
    # One line says when the agent locks, whether it is unlocked or not.
    unlocked = tokenring("status").stdout.splitlines()
    timing = [line for line in unlocked if " idle" in line]
    assert len(timing) == 1, unlocked
    assert re.fullmatch(r"locks in \d+ s if idle, in \d+ s at the latest", timing[0]), unlocked
    assert tokenring("lock").returncode == 0
    locked = tokenring("status").stdout.splitlines()
    assert [line for line in locked if " idle" in line] == [
        "once unlocked, locks after 42 s idle and 99 s at most"
    ], locked


def test_lock_command_forgets_the_keys(tokenring: Invoke, agent: AgentProcess) -> None:
    assert agent.status()["locked"] is False
    locked = tokenring("lock")
    assert locked.returncode == 0
    assert agent.status()["locked"] is True
    text = tokenring("status")
    assert "(locked)" in text.stdout


def test_status_without_agent(tokenring: Invoke) -> None:
    shown = tokenring("status", "--json")
    assert shown.returncode == 0
    assert '"running": false' in shown.stdout


def test_stale_socket_is_replaced(
    vault_file: Path, tmp_path: Path, agents: list[AgentProcess]
) -> None:
    path = Path(locations.socket_path())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # the file stays, nobody listens: a crashed agent's leftover
    agents.append(start_agent(tmp_path))
    assert agent_running()


def test_second_agent_is_refused_and_first_keeps_serving(
    agent: AgentProcess, tmp_path: Path
) -> None:
    second = run("tokenring", "agent")
    assert second.returncode == 6
    assert second.stderr.strip().splitlines()[-1].startswith("error: an agent already runs at")
    assert agent.status()["ok"] is True


def test_agent_without_vault_fails_cleanly(soft_key: Path) -> None:
    started = run("tokenring", "agent")
    assert started.returncode == 1
    assert started.stderr.splitlines()[-1].startswith("error: no TokenRing vault at ")
    assert not agent_running()


def test_detach_returns_once_ready(vault_file: Path) -> None:
    started = run("tokenring", "agent", "--detach", "--idle-timeout", "300")
    try:
        assert started.returncode == 0, started.stderr
        said = [line for line in started.stderr.splitlines() if "(pid " in line]
        assert len(said) == 1, started.stderr  # one line, not the child's and the parent's
        assert said[0].startswith(f"agent running: serving {vault_file} at ")
        assert said[0].endswith("; locks after 300 s idle and 7200 s at most")
        status = request({"op": "status"})
        assert status["idle_timeout"] == 300.0
        assert status["locked"] is False
    finally:
        pid = request({"op": "status"})["pid"] if agent_running() else None
        run("tokenring", "stop")
        if isinstance(pid, int):
            _wait_gone(pid)
    assert not agent_running()


def _wait_gone(pid: int) -> None:
    started = time.monotonic()
    while time.monotonic() - started < PATIENCE:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(POLL)
    os.kill(pid, 9)


def test_detach_reports_a_failed_start(soft_key: Path) -> None:
    started = run("tokenring", "agent", "--detach")
    assert started.returncode == 1  # the child's own status: nothing found
    errors = [line for line in started.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: no TokenRing vault at ")


def test_agent_for_another_vault_is_bypassed(
    tokenring: Invoke, agent: AgentProcess, tmp_path: Path, soft_key: Path
) -> None:
    other = tmp_path / "other-vault"
    init = tokenring("init", "--vault", str(other), "--no-recovery-code")
    assert init.returncode == 0, init.stderr
    tokenring("set", "--vault", str(other), "s", "u", input="elsewhere")
    got = tokenring("get", "--vault", str(other), "s", "u")
    assert got.stdout == "elsewhere\n"
    with pytest.raises(AgentUnavailable, match="serves"):
        request({"op": "get", "service": "s", "user": "u", "vault": str(other)})


def test_rotation_elsewhere_is_followed_with_one_touch(
    tokenring: Invoke, agent: AgentProcess, soft_key: Path
) -> None:
    assert tokenring("set", "s", "u", input="before").returncode == 0
    rotated = tokenring("rotate")
    assert rotated.returncode == 0, rotated.stderr
    before = touches(soft_key)
    stored = tokenring("set", "s", "u2", input="after")
    assert stored.returncode == 0, stored.stderr
    assert touches(soft_key) == before + 1  # the agent unlocked the re-keyed vault
    assert tokenring("get", "s", "u").stdout == "before\n"
    assert tokenring("get", "s", "u2").stdout == "after\n"


def test_a_request_too_large_for_the_agent_is_done_in_process(
    tokenring: Invoke, shared_agent: SharedAgent
) -> None:
    big = "x" * (protocol.MAX_FRAME + 10)
    before = touches(shared_agent.key)
    stored = tokenring("set", "big", "u", input=big)
    assert stored.returncode == 0, stored.stderr
    assert touches(shared_agent.key) == before + 1  # in-process: unlock, then write
    got = tokenring("get", "big", "u")  # answers may be larger than requests
    assert got.returncode == 0, got.stderr
    assert got.stdout == big + "\n"
    assert touches(shared_agent.key) == before + 2
    assert shared_agent.process.process.poll() is None
    assert tokenring("delete", "big", "u").returncode == 0


@settings(max_examples=40)
@given(garbage=st.binary(max_size=200))
def test_no_bytes_a_client_sends_stop_the_agent(shared_agent: SharedAgent, garbage: bytes) -> None:
    # The agent may close on us mid-way (a refused header): that is fine.
    with _raw_connection() as sock, contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(garbage)
        sock.shutdown(socket.SHUT_WR)
        _closed_after(sock)
    assert request({"op": "status"})["ok"] is True


def test_an_agent_started_locked_costs_no_touch_until_asked(
    tokenring: Invoke, vault_file: Path, tmp_path: Path, agents: list[AgentProcess], soft_key: Path
) -> None:
    before = touches(soft_key)
    agent = start_agent(tmp_path, "--locked")
    agents.append(agent)
    assert touches(soft_key) == before
    assert agent.status()["locked"] is True
    stored = tokenring("set", "s", "u", input="v")
    assert stored.returncode == 0, stored.stderr
    assert "wants to store" in stored.stderr
    assert touches(soft_key) == before + 1, "the write's one touch unlocks the agent too"
    assert tokenring("get", "s", "u").stdout == "v\n"
    assert touches(soft_key) == before + 2
