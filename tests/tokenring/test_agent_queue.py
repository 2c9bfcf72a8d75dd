"""The touch queue of a real agent, with a soft key that takes its time to be touched."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from tests.cli import run, script
from tests.tokenring.conftest import AgentProcess, start_agent, touches
from tokenring import locations
from tokenring.agent import protocol

PATIENCE = 30.0


def _wait_for(predicate: object, what: str) -> None:
    started = time.monotonic()
    while not callable(predicate) or not predicate():
        assert time.monotonic() - started < PATIENCE, what
        time.sleep(0.05)


def _client(service: str, user: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [script("tokenring"), "get", service, user],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_waiting_client_is_told_at_once_whose_touch_comes_first(
    vault_file: Path, tmp_path: Path, agents: list[AgentProcess], soft_key: Path
) -> None:
    for user in ("a", "b", "c"):
        stored = run(
            "tokenring", "set", "svc", user, input=f"p{user}", env={"TOKENRING_NO_AGENT": "1"}
        )
        assert stored.returncode == 0, stored.stderr
    agent = start_agent(tmp_path, env={"SECRETS_SOFT_PRESENCE": "after:3"})
    agents.append(agent)
    before = touches(soft_key)
    first = _client("svc", "a")
    # The agent's own prompt: "Touch your security key to release 'svc' / 'a' to …".
    _wait_for(lambda: "release 'svc' / 'a'" in agent.log.read_text(), "the first never asked")
    # A request whose client leaves before its turn: dropped, never touched for.
    gone = protocol.encode({"op": "get", "service": "svc", "user": "c", "vault": str(vault_file)})
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as leaver:
        leaver.connect(locations.socket_path())
        leaver.sendall(gone)
        leaver.settimeout(PATIENCE)
        waited = protocol.read_frame(leaver)
        assert waited["message"].startswith(f"waiting: tokenring (pid {first.pid})")
    second = _client("svc", "b")
    assert second.stderr is not None
    line = second.stderr.readline()
    assert first.poll() is None, "told while the first request still holds the key"
    assert line.startswith(f"waiting: tokenring (pid {first.pid})")
    assert "is asking for 'svc' / 'a' — touch your key for that first" in line
    out_first, err_first = first.communicate(timeout=PATIENCE)
    out_second, rest = second.communicate(timeout=PATIENCE)
    assert (first.returncode, out_first) == (0, "pa\n"), err_first
    assert (second.returncode, out_second) == (0, "pb\n"), rest
    assert "waiting" not in err_first
    assert rest.startswith("your turn: ")
    assert "wants 'svc' / 'b'" in rest
    log = agent.log.read_text()
    assert touches(soft_key) == before + 2, "one touch each; none for the request that left"
    assert "release 'svc' / 'c'" not in log
    assert f"dropped a request of pytest (pid {os.getpid()})" in log or (
        f"dropped a request of python (pid {os.getpid()})" in log
    )
    released = [line for line in log.splitlines() if "released" in line]
    assert [line.split("released ")[1].split(" to ")[0] for line in released] == [
        "'svc' / 'a'",
        "'svc' / 'b'",
    ]
    assert f"(pid {first.pid})" in released[0]
    assert f"(pid {second.pid})" in released[1]
