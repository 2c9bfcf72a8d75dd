"""The agent as a per-user service: the units ``--install`` writes, and socket activation."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import run
from tests.tokenring.conftest import touches
from tokenring import locations
from tokenring.agent import activation, install
from tokenring.agent.client import AgentUnavailable, request

# Stands in for systemd: binds the socket, hands it over as fd 3 with
# LISTEN_FDS/LISTEN_PID naming its own pid, and becomes the agent (exec keeps the pid).
SERVICE_MANAGER = """
import os, socket, sys
path, ready = sys.argv[1], sys.argv[2]
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
os.umask(0o177)
listener.bind(path)
listener.listen(16)
if listener.fileno() != 3:
    os.dup2(listener.fileno(), 3)
os.set_inheritable(3, True)  # the socket may already be fd 3, close-on-exec
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
command = ["-m", "tokenring", "agent", "--locked", "--ready-fd", ready]
os.execv(sys.executable, [sys.executable, *command])
"""


def test_an_activated_agent_serves_the_socket_it_was_given(
    vault_file: Path, soft_key: Path, tmp_path: Path
) -> None:
    assert run("tokenring", "set", "svc", "u", input="pw", env={"TOKENRING_NO_AGENT": "1"})
    socket_path = Path(locations.socket_path())
    socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    read_end, write_end = os.pipe()
    manager = subprocess.Popen(
        [sys.executable, "-c", SERVICE_MANAGER, str(socket_path), str(write_end)],
        pass_fds=(write_end,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as ready:
            assert ready.read() == b"ready\n"
        status = request({"op": "status"})
        assert status["pid"] == manager.pid, "the exec'd agent itself serves"
        assert status["socket"] == str(socket_path)
        assert status["locked"] is True
        before = touches(soft_key)
        got = run("tokenring", "get", "svc", "u")
        assert got.stdout == "pw\n", got.stderr
        assert touches(soft_key) == before + 1
        request({"op": "stop"})
        manager.wait(timeout=15)
    finally:
        if manager.poll() is None:
            manager.kill()
            manager.wait()
    assert manager.returncode == 0, manager.stderr.read() if manager.stderr else ""
    # The service manager's socket file is not the agent's to remove.
    assert socket_path.is_socket()
    with pytest.raises(AgentUnavailable):
        request({"op": "status"})


def test_sockets_meant_for_another_process_are_left_alone() -> None:
    environ = {"LISTEN_PID": str(os.getpid() + 1), "LISTEN_FDS": "1", "LISTEN_FDNAMES": "x"}
    assert activation.listening_socket(environ) is None
    assert environ == {}, "the variables are not passed on to children"
    assert activation.listening_socket({}) is None


def test_install_writes_socket_activated_units_that_systemd_accepts(
    vault_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("TOKENRING_IDLE_TIMEOUT", "900")
    installed = run("tokenring", "agent", "--install")
    assert installed.returncode == 0, installed.stderr
    assert "systemctl --user enable --now tokenring-agent.socket" in installed.stdout
    units = config / "systemd" / "user"
    socket_unit, service = units / "tokenring-agent.socket", units / "tokenring-agent.service"
    assert f"ListenStream={locations.socket_path()}\n" in socket_unit.read_text()
    assert "SocketMode=0600" in socket_unit.read_text()
    text = service.read_text()
    assert '"--locked"' in text
    assert f'"{vault_file}"' in text
    assert '"TOKENRING_IDLE_TIMEOUT=900"' in text
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (apt package systemd)")
    else:
        verified = subprocess.run(
            ["systemd-analyze", "--user", "verify", str(socket_unit), str(service)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert verified.returncode == 0, verified.stderr
    removed = run("tokenring", "agent", "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not socket_unit.exists()
    assert not service.exists()
    again = run("tokenring", "agent", "--uninstall")
    assert again.stdout == "no agent service was installed\n"


def test_install_and_uninstall_together_is_one_error_line() -> None:
    both = run("tokenring", "agent", "--install", "--uninstall")
    assert both.returncode == 2
    assert both.stderr.strip() == "error: choose one of --install and --uninstall"


def test_launchd_agent_starts_the_agent_locked_at_login(tmp_path: Path) -> None:
    command = install.agent_command(tmp_path / "vault")
    agent = plistlib.loads(install.launchd_plist(command, {"SECRETS_HOME": "/h"}))
    assert agent["Label"] == install.LAUNCHD_LABEL
    assert agent["ProgramArguments"][-3:] == ["--locked", "--vault", str(tmp_path / "vault")]
    assert agent["RunAtLoad"] is True
    assert agent["EnvironmentVariables"] == {"SECRETS_HOME": "/h"}
