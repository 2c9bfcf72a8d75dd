"""The vpcd side of ``secrets token emulate``: framing, reinsertion, and bad input.

A small stand-in for vpcd's listening socket (on 127.0.0.1) speaks its
protocol to the real card loop; the tests through the real pcscd are in
test_transport_pcscd.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from secrets_common.soft.card import AID_FIDO, ATR
from secrets_common.soft.vpcd import Address, insert, parse_address
from tests.cli import run, script
from tests.common.card_reader import card_for


class Vpcd:
    """The reader's end of one accepted connection."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection

    def send(self, message: bytes) -> None:
        self.connection.sendall(len(message).to_bytes(2, "big") + message)

    def receive(self) -> bytes:
        size = int.from_bytes(self._exactly(2), "big")
        return self._exactly(size)

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.connection.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def power_up(self) -> bytes:
        self.send(b"\x01")
        self.send(b"\x04")
        return self.receive()


@pytest.fixture
def listener() -> socket.socket:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(30)
    return server


def test_the_card_answers_vpcd_frames_and_goes_back_in_after_the_reader_returns(
    tmp_path: Path, listener: socket.socket
) -> None:
    port = int(listener.getsockname()[1])
    inserted: list[str] = []
    waiting: list[str] = []
    stop = threading.Event()
    loop = threading.Thread(
        target=insert,
        args=(card_for(tmp_path / "key.json"), Address("127.0.0.1", port)),
        kwargs={
            "on_inserted": lambda: inserted.append("ready"),
            "on_waiting": waiting.append,
            "stop": stop,
            "retry_delay": 0.05,
        },
        daemon=True,
    )
    loop.start()
    for _insertion in range(2):
        accepted, _ = listener.accept()
        with accepted:
            reader = Vpcd(accepted)
            assert reader.power_up() == ATR
            reader.send(bytes.fromhex("00A4040008") + AID_FIDO + b"\x00")
            assert reader.receive() == b"FIDO_2_0\x90\x00"
            reader.send(bytes.fromhex("80100000010400"))
            answer = reader.receive()
            assert answer[0] == 0
            assert answer[-2:] == b"\x90\x00"
        # The reader went away (pcscd stopped): the card waits and goes back in.
    stop.set()
    listener.close()
    loop.join(30)
    assert not loop.is_alive()
    assert inserted == ["ready", "ready"]
    assert any("went away" in line for line in waiting)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("localhost:35963", Address("localhost", 35963)),
        ("127.0.0.1:1", Address("127.0.0.1", 1)),
        ("[::1]:35963", Address("::1", 35963)),
    ],
)
def test_reader_addresses(text: str, expected: Address) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["localhost", ":35963", "host:", "h:0", "h:65536", "::1:5", "h:x"])
def test_bad_reader_addresses(text: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        parse_address(text)


def test_a_bad_vpcd_address_is_one_usage_line(tmp_path: Path) -> None:
    result = run("secrets", "token", "emulate", "--pcsc", str(tmp_path / "k.json"), "--vpcd", "x")
    assert result.returncode == 2
    assert result.stderr.startswith("error: --vpcd: 'x' is not HOST:PORT")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "k.json").exists()


def test_emulate_without_a_state_file_is_a_usage_error() -> None:
    result = run("secrets", "token", "emulate")
    assert result.returncode == 2
    assert "--pcsc" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_damaged_state_file_fails_before_the_card_goes_in(tmp_path: Path) -> None:
    state = tmp_path / "k.json"
    state.write_text("{not json")
    state.chmod(0o600)
    result = run("secrets", "token", "emulate", "--pcsc", str(state), "--vpcd", "127.0.0.1:9")
    assert result.returncode == 3
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert state.read_text() == "{not json"


def test_emulate_waits_for_a_missing_reader_and_stops_on_sigterm(
    tmp_path: Path, listener: socket.socket
) -> None:
    # A port nobody listens on: the listener's, closed.
    port = int(listener.getsockname()[1])
    listener.close()
    state = tmp_path / "k.json"
    process = subprocess.Popen(
        [
            script("secrets"),
            "token",
            "emulate",
            "--pcsc",
            str(state),
            "--vpcd",
            f"127.0.0.1:{port}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert process.stderr is not None
    assert process.stderr.readline().startswith("warning: using the software authenticator")
    assert process.stderr.readline().startswith(
        f"waiting for the virtual reader at 127.0.0.1:{port}"
    )
    process.send_signal(signal.SIGTERM)
    out, rest = process.communicate(timeout=30)
    assert (process.returncode, out, rest) == (0, "", "")
    assert json.loads(state.read_text())["touches"] == 0
