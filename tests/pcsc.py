"""A private pcscd with vsmartcard's virtual reader, and the soft key inserted in it.

pcscd runs in the foreground on a socket of its own (handed over as systemd
socket activation does), with its own reader configuration and vpcd port, so
that it never meets the machine's pcscd or real readers. Every process of the
test session finds it through PCSCLITE_CSOCK_NAME, set by tests/conftest.py.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import attrs
import pytest

from tests.cli import script

SOCKET_VARIABLE = "PCSCLITE_CSOCK_NAME"
DRIVER_PLACES = (
    Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"),
    Path("/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so"),
)
NOT_INSTALLED = (
    "pcscd, vsmartcard-vpcd and pyscard are not installed here, and only root with apt can"
    " install them (.ci/run does: apt-get install pcscd vsmartcard-vpcd swig libpcsclite-dev)"
)


def missing_tools() -> str | None:
    """Why the PC/SC tests cannot run here, or ``None`` when they can."""
    if importlib.util.find_spec("smartcard") is None:
        return "pyscard is not importable"
    if _pcscd() is None:
        return "pcscd is not installed"
    if _driver() is None:
        return "vsmartcard-vpcd's driver libifdvpcd.so is not installed"
    return None


def require_tools() -> None:
    """Skip where pcscd and vpcd cannot be had; on CI (CI=true) fail instead."""
    missing = missing_tools()
    if missing is None:
        return
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"{missing}: CI must install them (.ci/run)")
    pytest.skip(f"{missing}: {NOT_INSTALLED}")


def _pcscd() -> str | None:
    return shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/sbin")


def _driver() -> Path | None:
    return next((place for place in DRIVER_PLACES if place.exists()), None)


def _free_port_pair() -> int:
    """A TCP port free with its successor: vpcd opens one per slot of its reader."""
    for _attempt in range(50):
        with socket.socket() as probe:
            probe.bind(("", 0))
            port = int(probe.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket() as second:
            try:
                second.bind(("", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free TCP ports")


@attrs.frozen
class Pcscd:
    """A running private pcscd: its pid, client socket and vpcd port."""

    pid: int
    socket_path: Path
    vpcd_port: int
    log: Path

    @property
    def vpcd(self) -> str:
        return f"localhost:{self.vpcd_port}"


@contextmanager
def running_pcscd(directory: Path) -> Iterator[Pcscd]:
    """Start pcscd on ``$PCSCLITE_CSOCK_NAME`` and stop it by its pid afterwards."""
    pcscd, driver = _pcscd(), _driver()
    if pcscd is None or driver is None:
        raise RuntimeError(NOT_INSTALLED)
    socket_path = Path(os.environ[SOCKET_VARIABLE])
    port = _free_port_pair()
    config = directory / "reader.conf.d"
    config.mkdir(parents=True, exist_ok=True)
    (config / "vpcd").write_text(
        'FRIENDLYNAME "Virtual PCD"\n'
        f"DEVICENAME /dev/null:0x{port:04X}\n"
        f"LIBPATH {driver}\n"
        f"CHANNELID 0x{port:04X}\n"
    )
    with suppress(FileNotFoundError):
        socket_path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    listener.listen(16)
    log = directory / "pcscd.log"
    # Socket activation: the socket as fd 3, LISTEN_FDS=1 and LISTEN_PID set
    # to pcscd's own pid, which only the process that execs it knows.
    activate = (
        "import os, sys; os.dup2(int(sys.argv[1]), 3);"
        " os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid()));"
        " os.execv(sys.argv[2], sys.argv[2:])"
    )
    command = [pcscd, "--foreground", "--apdu", "--config", str(config)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", activate, str(listener.fileno()), *command],
            pass_fds=(listener.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    listener.close()
    try:
        yield Pcscd(pid=process.pid, socket_path=socket_path, vpcd_port=port, log=log)
    finally:
        with suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def _card_present() -> bool | None:
    """Whether pcscd reports a card in the virtual reader; ``None`` if it lists no reader.

    Asks pcscd for the reader's state, as a PC/SC client waiting for a card
    does, without connecting: a connection would power the card up.
    """
    from smartcard import scard  # only where pyscard is installed

    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        return None
    try:
        result, readers = scard.SCardListReaders(context, [])
        if result != scard.SCARD_S_SUCCESS or not readers:
            return None
        result, states = scard.SCardGetStatusChange(
            context, 0, [(reader, scard.SCARD_STATE_UNAWARE) for reader in readers]
        )
        if result != scard.SCARD_S_SUCCESS:
            return None
        return any(event & scard.SCARD_STATE_PRESENT for _reader, event, _atr in states)
    finally:
        scard.SCardReleaseContext(context)


def wait_for_card(present: bool, timeout: float = 30) -> None:
    """Block until pcscd has seen the card inserted (or removed).

    ``emulate`` says "ready" once vpcd took its connection, but pcscd learns
    of the card only at its next poll of the reader; a discovery before that
    finds no key, and a test starting right after another's card was pulled
    could meet the old card's stale state.
    """
    deadline = time.monotonic() + timeout
    while _card_present() is not present:
        if time.monotonic() > deadline:
            state = "inserted" if present else "removed"
            raise AssertionError(f"pcscd did not see the card {state} within {timeout} s")
        time.sleep(0.05)


class Emulator:
    """A ``secrets token emulate --pcsc`` subprocess whose card is in the reader."""

    def __init__(self, process: subprocess.Popen[str], stderr: Path) -> None:
        self.process = process
        self.stderr = stderr

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
            self.process.stdout = None
            wait_for_card(present=False)
        return self.process.returncode


def _first_line(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """The first line of ``process``'s stdout, or "" if none comes in ``timeout`` s."""
    lines: list[str] = []
    stdout = process.stdout
    if stdout is None:
        raise ValueError("the process's stdout is not a pipe")
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


@contextmanager
def emulated_card(
    state_file: Path, daemon: Pcscd, stderr: Path, env: Mapping[str, str] | None = None
) -> Iterator[Emulator]:
    """The soft key with ``state_file`` inserted in ``daemon``'s reader until exit."""
    command = [script("secrets"), "token", "emulate", "--pcsc", str(state_file)]
    with stderr.open("w") as errors:
        process = subprocess.Popen(
            [*command, "--vpcd", daemon.vpcd],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env={**os.environ, **(env or {})},
        )
    emulator = Emulator(process, stderr)
    try:
        line = _first_line(process)
        if line != "ready\n":
            emulator.stop()
            raise AssertionError(
                f"emulate said {line!r}, not ready; stderr: {stderr.read_text()!r};"
                f" pcscd: {daemon.log.read_text()[-2000:]!r}"
            )
        wait_for_card(present=True)
        yield emulator
    finally:
        emulator.stop()
