"""A process of another user is refused by the peer-uid check itself.

The socket's 0600 mode already keeps other users out; to reach the check
behind it, this test loosens the permissions (as a misconfiguration would)
and connects as ``nobody``. It needs root (to switch uid) and an interpreter
that user may run; elsewhere it is skipped, and ``test_protocol`` still
checks the same comparison on a real socket.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tokenring.conftest import AgentProcess, start_agent
from tokenring.agent.client import request

NOBODY = 65534
CLIENT = """
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(sys.argv[1])
body = b'{"v":1,"op":"status"}'
answer = b""
try:  # the agent may refuse and close before the request is even sent
    sock.sendall(len(body).to_bytes(4, "big") + body)
    while chunk := sock.recv(65536):
        answer += chunk
except (BrokenPipeError, ConnectionResetError):  # closed on us: refused all the same
    pass
print(answer[4:].decode() or "closed")
"""


def python_for_nobody() -> str | None:
    if not hasattr(os, "getuid") or os.getuid() != 0:
        return None
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if Path(candidate).exists():
            probe = subprocess.run(
                [candidate, "-c", "pass"], user=NOBODY, capture_output=True, check=False
            )
            if probe.returncode == 0:
                return candidate
    return None


@pytest.fixture
def open_socket_dir() -> Iterator[Path]:
    """A directory others may traverse (but not write), outside root's private tmp."""
    where = Path(tempfile.mkdtemp(prefix="tokenring-peer-", dir="/tmp"))
    where.chmod(0o711)
    yield where
    shutil.rmtree(where, ignore_errors=True)


def test_another_uid_is_refused(
    vault_file: Path, tmp_path: Path, agents: list[AgentProcess], open_socket_dir: Path
) -> None:
    python = python_for_nobody()
    if python is None:
        pytest.skip("needs root and an interpreter the nobody user can run")
    socket_path = open_socket_dir / "tokenring.sock"
    agent = start_agent(tmp_path, env={"TOKENRING_SOCKET": str(socket_path)})
    agents.append(agent)
    socket_path.chmod(0o666)  # the misconfiguration the uid check is there for
    stranger = subprocess.run(
        [python, "-c", CLIENT, str(socket_path)],
        user=NOBODY,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    seen = f"stdout={stranger.stdout!r} stderr={stranger.stderr!r} log={agent.log.read_text()!r}"
    assert stranger.returncode == 0, seen
    assert "refused" in stranger.stdout or stranger.stdout.strip() == "closed", seen
    assert '"ok":true' not in stranger.stdout, seen
    assert f"refused a connection from uid {NOBODY}" in agent.log.read_text(), seen
    assert request({"op": "status"}, path=str(socket_path))["ok"] is True
