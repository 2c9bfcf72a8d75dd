"""An agent that cannot be starved or impersonated cheaply: real agents, real sockets."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import run
from tests.tokenring.conftest import AgentProcess, SharedAgent, start_agent
from tests.tokenring.test_other_user import NOBODY, python_for_nobody
from tokenring import locations
from tokenring.agent import client, protocol

PATIENCE = 60.0
TRICKLERS = 64


def _raw() -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(locations.socket_path())
    return sock


def _closed(sock: socket.socket) -> bool:
    """Whether the agent closed (or refused) this connection."""
    try:
        sock.recv(65536, socket.MSG_DONTWAIT)  # end of file, or the agent's refusal
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


class Tricklers:
    """Connections that send one byte a second of a frame that never ends."""

    def __init__(self, count: int) -> None:
        self.socks = [_raw() for _ in range(count)]
        for sock in self.socks:
            sock.setblocking(False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle)
        self._thread.start()

    def _trickle(self) -> None:
        data = struct.pack(">I", 1000) + b"x" * 1000
        position = 0
        while not self._stop.wait(1.0):
            for sock in self.socks:
                with contextlib.suppress(OSError):  # closed by the agent: see open_count
                    sock.send(data[position : position + 1])
            position += 1

    def open_count(self) -> int:
        return sum(not _closed(sock) for sock in self.socks)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.socks:
            sock.close()


@pytest.fixture
def tricklers() -> Iterator[list[Tricklers]]:
    made: list[Tricklers] = []
    yield made
    for group in made:
        group.close()


def test_tricklers_neither_starve_a_get_nor_outlive_the_frame_deadline(
    vault_file: Path,
    tmp_path: Path,
    agents: list[AgentProcess],
    tricklers: list[Tricklers],
) -> None:
    stored = run("tokenring", "set", "svc", "u", input="pw", env={"TOKENRING_NO_AGENT": "1"})
    assert stored.returncode == 0, stored.stderr
    # For tests: a short whole-frame deadline (the default is 10 s).
    agent = start_agent(tmp_path, env={"TOKENRING_AGENT_FRAME_TIMEOUT": "8"})
    agents.append(agent)
    group = Tricklers(TRICKLERS)  # as many as the agent serves at once
    tricklers.append(group)
    got = run("tokenring", "get", "svc", "u")
    still_open = group.open_count()
    assert got.returncode == 0, got.stderr
    assert got.stdout == "pw\n"
    assert "released 'svc' / 'u'" in agent.log.read_text(), "served by the agent itself"
    # The get made room by dropping the longest idle one; the rest still trickle.
    assert still_open >= TRICKLERS - 2
    started = time.monotonic()
    while group.open_count():
        assert time.monotonic() - started < PATIENCE, "tricklers outlived the frame deadline"
        time.sleep(0.2)
    assert "no whole request in time" in agent.log.read_text()
    assert agent.process.poll() is None


def test_a_deeply_nested_frame_is_closed_without_a_traceback(shared_agent: SharedAgent) -> None:
    deep = b"[" * 60000  # within the size limit; far past the parser's recursion limit
    with _raw() as sock:
        sock.sendall(struct.pack(">I", len(deep)) + deep)
        sock.settimeout(30)
        answer = protocol.read_frame(sock)
    assert answer["ok"] is False
    assert "nested too deeply" in answer["error"]["message"]
    log = shared_agent.process.log.read_text()
    assert "nested too deeply" in log
    assert "Traceback" not in log
    assert shared_agent.process.status()["ok"] is True


def _fake_agent(behaviour: str) -> tuple[socket.socket, threading.Thread, list[bytes]]:
    """A listener at the agent's path that misbehaves once, as ``behaviour`` says."""
    path = locations.socket_path()
    Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    listener.settimeout(None)
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # the test closed the listener
            # A client that already fell back may hang up before the answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                answer(conn)

    def answer(conn: socket.socket) -> None:
        with conn:
            if behaviour == "reset":
                time.sleep(0.5)  # the request arrives, unread: closing resets it
            elif behaviour == "busy":
                conn.sendall(
                    protocol.encode(
                        {"ok": False, "error": {"kind": "Busy", "message": "full", "exit": 6}}
                    )
                )
            elif behaviour == "read-then-close":
                received.append(conn.recv(65536))

    thread = threading.Thread(target=serve)
    thread.start()
    return listener, thread, received


@pytest.mark.parametrize("behaviour", ["reset", "busy"])
def test_a_refused_or_reset_write_falls_back_in_process(
    tokenring: object, vault_file: Path, behaviour: str
) -> None:
    listener, thread, _ = _fake_agent(behaviour)
    try:
        stored = run("tokenring", "set", "svc", "u", input="pw")
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=30)
    assert stored.returncode == 0, stored.stderr
    os.unlink(locations.socket_path())
    assert run("tokenring", "get", "svc", "u").stdout == "pw\n"


def test_a_get_closed_before_its_answer_falls_back_in_process(vault_file: Path) -> None:
    # Stored in-process: an agent started on demand would hold the socket.
    stored = run("tokenring", "set", "svc", "u", input="pw", env={"TOKENRING_NO_AGENT": "1"})
    assert stored.returncode == 0
    listener, thread, _ = _fake_agent("read-then-close")
    try:
        got = run("tokenring", "get", "svc", "u")
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=30)
    assert (got.returncode, got.stdout) == (0, "pw\n"), got.stderr


def test_a_write_the_agent_may_have_run_is_not_repeated(vault_file: Path) -> None:
    listener, thread, received = _fake_agent("read-then-close")
    try:
        stored = run("tokenring", "set", "svc", "u", input="pw")
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=30)
    assert b'"op":"set"' in b"".join(received)
    assert stored.returncode == 6
    assert stored.stderr.splitlines()[-1].startswith("error: the agent went away")
    os.unlink(locations.socket_path())
    assert run("tokenring", "get", "svc", "u").returncode == 1, "not written in-process"


def test_the_client_refuses_an_agent_of_another_uid() -> None:
    left, right = socket.socketpair()
    with left, right:
        client.check_agent_uid(left, "here")  # our own uid: fine
        with pytest.raises(client.AgentImpostor, match=r"runs as uid \d+, not as you"):
            client.check_agent_uid(left, "here", uid=os.getuid() + 1)


def test_an_agent_whose_socket_is_replaced_locks_and_stops(
    vault_file: Path, tmp_path: Path, agents: list[AgentProcess]
) -> None:
    agent = start_agent(tmp_path)
    agents.append(agent)
    path = locations.socket_path()
    os.unlink(path)
    impostor = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    impostor.bind(path)
    impostor.listen(1)
    try:
        assert agent.process.wait(timeout=PATIENCE) == 0
        log = agent.log.read_text()
        assert f"{path} no longer leads to this agent's socket" in log
        assert "locking the vault and stopping" in log
        assert os.path.exists(path), "the agent leaves the new socket alone"
    finally:
        impostor.close()


LISTENER = """
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.bind(sys.argv[1])
sock.listen(1)
print("ready", flush=True)
conn, _ = sock.accept()
conn.settimeout(5)
try:
    print(len(conn.recv(65536)), flush=True)
except OSError:
    print(0, flush=True)
"""


def test_a_socket_of_another_user_gets_nothing() -> None:
    python = python_for_nobody()
    if python is None:
        pytest.skip("needs root and an interpreter the nobody user can run")
    where = Path(tempfile.mkdtemp(prefix="tokenring-impostor-", dir="/tmp"))
    os.chown(where, NOBODY, -1)  # the stranger's own directory; root may enter it
    path = str(where / "tokenring.sock")
    stranger = subprocess.Popen(
        [python, "-c", LISTENER, path], user=NOBODY, stdout=subprocess.PIPE, text=True
    )
    try:
        assert stranger.stdout is not None
        assert stranger.stdout.readline() == "ready\n"
        with pytest.raises(client.AgentImpostor, match=rf"runs as uid {NOBODY}, not as you"):
            client.request({"op": "get", "service": "s", "user": "u", "vault": "v"}, path=path)
        assert stranger.stdout.readline() == "0\n", "not a byte was sent to it"
    finally:
        stranger.kill()
        stranger.wait()
        shutil.rmtree(where, ignore_errors=True)
