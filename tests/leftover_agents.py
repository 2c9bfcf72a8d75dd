"""Stop every TokenRing agent a test left serving under its temporary directory.

Clients start agents on demand, so any test that runs a client without
``TOKENRING_NO_AGENT`` may leave one behind: it would hold a soft key's
state and a socket, and outlive the test run. The agents are found by their
sockets (any name), asked their pid, and stopped by that pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import stat
import time
from pathlib import Path

from tokenring.agent import protocol

PATIENCE = 10.0
POLL = 0.05


def _agent_pid(path: Path) -> int | None:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(5)
    try:
        probe.connect(str(path))
        protocol.write_frame(probe, {"op": "status"})
        answer = protocol.read_frame(probe, limit=protocol.MAX_ANSWER)
    except (OSError, protocol.ProtocolError):
        return None
    finally:
        probe.close()
    pid = answer.get("pid")
    return pid if isinstance(pid, int) else None


def _gone(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _stop(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if _gone(pid):
            return
        time.sleep(POLL)
    os.kill(pid, signal.SIGKILL)


def stop_agents_under(root: Path) -> list[int]:
    """The pids of the agents found serving under ``root``, each stopped."""
    stopped: list[int] = []
    for directory, _, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            with contextlib.suppress(OSError):
                if not stat.S_ISSOCK(path.lstat().st_mode):
                    continue
                pid = _agent_pid(path)
                # An agent served by a thread of this very process is the test's own.
                if pid is not None and pid != os.getpid() and pid not in stopped:
                    _stop(pid)
                    stopped.append(pid)
    return stopped
