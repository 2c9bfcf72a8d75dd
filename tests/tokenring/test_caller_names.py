"""Callers named from the kernel's pid (pidfd) and their command lines: real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tokenring.agent import peercred
from tokenring.agent.peercred import describe, describe_peer, peer_credentials, script_name

SLEEPER = "import sys, time\nprint('ready', flush=True)\ntime.sleep(60)\n"
# A tool that runs a helper, as uv runs `keyring` for its keyring provider.
RUNNER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, sys.argv[1]], stdout=subprocess.PIPE, text=True)
child.stdout.readline()
print(child.pid, flush=True)
time.sleep(60)
"""


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def _start(processes: list[subprocess.Popen[str]], *argv: str, **options: object) -> str:
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, **options)  # type: ignore[call-overload]
    processes.append(process)
    assert process.stdout is not None
    return str(process.stdout.readline().strip())


def test_python_dash_m_is_named_by_its_module(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    (tmp_path / "twinelike.py").write_text(SLEEPER)
    _start(
        processes,
        sys.executable,
        "-m",
        "twinelike",
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    pid = processes[0].pid
    here = peercred.program_name(os.getpid())
    assert describe(pid) == f"twinelike (pid {pid}), run by {here} (pid {os.getpid()})"


def test_a_helper_is_named_with_the_tool_that_ran_it(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "keyring").write_text(SLEEPER)
    (tmp_path / "uvlike.py").write_text(RUNNER)
    child = int(
        _start(
            processes,
            sys.executable,
            "-m",
            "uvlike",
            str(bin_dir / "keyring"),
            env={**os.environ, "PYTHONPATH": str(tmp_path)},
        )
    )
    runner = processes[0].pid
    assert describe(child) == f"keyring (pid {child}), run by uvlike (pid {runner})"
    os.kill(child, 9)


def test_a_shell_parent_is_left_out(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    (tmp_path / "keyring").write_text(SLEEPER)
    # `; true` keeps bash from exec'ing the command: bash stays the parent.
    _start(processes, "bash", "-c", f"{sys.executable} {tmp_path / 'keyring'}; true")
    shell = processes[0].pid
    children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    (child,) = (int(pid) for pid in children)
    assert describe(child) == f"keyring (pid {child})"


def test_a_binary_is_named_by_its_executable(processes: list[subprocess.Popen[str]]) -> None:
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        assert describe(sleeper.pid).startswith(f"sleep (pid {sleeper.pid})")
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["python3", "-m", "twine", "upload"], "twine"),
        (["python3", "-mpip", "install"], "pip"),
        (["python3", "-I", "-W", "ignore", "/v/bin/keyring", "get"], "keyring"),
        (["python3", "-X", "utf8", "-m", "poetry.__main__"], "poetry"),
        (["python3", "-c", "import x"], None),
        (["python3", "-"], None),
        (["python3"], None),
        (["node", "--no-warnings", "/usr/lib/node_modules/npm/bin/npm-cli.js"], "npm-cli.js"),
        (["bash", "-e", "/home/u/deploy.sh"], None),
        (["perl", "-w", "/usr/bin/git-credential-x"], "git-credential-x"),
        (["sh", "--", "/tmp/run"], "run"),
    ],
)
def test_script_names(argv: list[str], name: str | None) -> None:
    assert script_name(argv[0], argv) == name


@pytest.mark.parametrize("use_pidfd", [True, False], ids=["pidfd", "peercred"])
def test_the_peer_pid_is_the_kernels(use_pidfd: bool) -> None:
    left, right = socket.socketpair()
    with left, right:
        credentials = peer_credentials(left, use_pidfd=use_pidfd)
        assert (credentials.uid, credentials.gid, credentials.pid) == (
            os.getuid(),
            os.getgid(),
            os.getpid(),
        )
        assert describe_peer(left, credentials).startswith(
            f"{peercred.program_name(os.getpid())} (pid {os.getpid()})"
        )


def test_a_pidfd_tells_once_its_process_is_gone() -> None:
    child = subprocess.Popen(["sleep", "60"])
    pidfd = os.pidfd_open(child.pid)
    try:
        assert peercred.pidfd_pid(pidfd) == child.pid
        child.kill()
        child.wait()  # reaped: the pid may now be given to another process
        assert peercred.pidfd_pid(pidfd) == 0
    finally:
        os.close(pidfd)
