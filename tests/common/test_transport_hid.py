"""The soft key behind python-fido2's CTAPHID framing (CtapHidDevice on SoftHidConnection)."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fido2.ctap import STATUS, CtapError
from fido2.ctap2.base import Ctap2
from fido2.hid import CAPABILITY, CTAPHID, CtapHidDevice

from secrets_common.errors import PresenceError
from secrets_common.fido.devices import soft_authenticators
from secrets_common.fido.interaction import RecordingInteraction
from secrets_common.fido.selection import Selection, discovery
from secrets_common.fido.source import FidoKeySource
from secrets_common.soft.hid import (
    BROADCAST,
    ERR_CHANNEL_BUSY,
    ERR_INVALID_CHANNEL,
    ERR_INVALID_CMD,
    ERR_INVALID_SEQ,
    PACKET_SIZE,
    SoftHidConnection,
    SoftHidKey,
)
from tests.cli import run, script
from tests.common.soft_strategies import SoftKey

RP_ID = "tokenring.test"
SALT = b"\x05" * 32
WAIT = {"SECRETS_SOFT_PRESENCE": "after:3600"}


def touches(path: Path) -> int:
    count = json.loads(path.read_text())["touches"]
    assert isinstance(count, int)
    return count


class Recording(SoftHidConnection):
    """A handle that also notes each report it reads (to see keepalives and errors)."""

    def __init__(self, key: SoftHidKey) -> None:
        super().__init__(key)
        self.read: list[bytes] = []
        self.busy_seen = threading.Event()

    def read_packet(self) -> bytes:
        packet = super().read_packet()
        self.read.append(packet)
        if packet[4] == 0x80 | CTAPHID.ERROR and packet[7] == ERR_CHANNEL_BUSY:
            self.busy_seen.set()
        return packet


def packet(channel: int, *body: int | bytes) -> bytes:
    data = b"".join(bytes([b]) if isinstance(b, int) else b for b in body)
    return (channel.to_bytes(4, "big") + data).ljust(PACKET_SIZE, b"\0")


def test_init_allocates_a_channel_per_handle(tmp_path: Path) -> None:
    key = SoftHidKey(tmp_path / "key.json")
    first, second = key.open_device(), key.open_device()
    assert first._channel_id != second._channel_id
    assert BROADCAST not in (first._channel_id, second._channel_id)
    assert first.capabilities & CAPABILITY.CBOR
    assert first.capabilities & CAPABILITY.NMSG
    assert first.version == 2


def test_a_long_ping_crosses_many_continuation_packets(tmp_path: Path) -> None:
    device = SoftHidKey(tmp_path / "key.json").open_device()
    message = os.urandom(3000)
    assert device.ping(message) == message


def test_enrol_and_derive_through_the_framing(tmp_path: Path) -> None:
    key = SoftKey(tmp_path / "key.json", connect=lambda p: SoftHidKey(p).open_device())
    enrolment = key.enroll(salt=SALT)
    assert enrolment.mc_outputs is not None
    assert key.derive(enrolment.credential_id, SALT)[0] == enrolment.mc_outputs[0]
    assert key.touches() == 2
    # Each prompt came from a KEEPALIVE STATUS_UPNEEDED report.
    assert key.interaction.touch_prompts == 2


def test_each_touch_is_announced_by_an_upneeded_keepalive_before_the_answer(
    tmp_path: Path,
) -> None:
    key = SoftHidKey(tmp_path / "key.json")
    handle = Recording(key)
    device = CtapHidDevice(key.descriptor(), handle)
    statuses: list[int] = []
    Ctap2(device).selection(on_keepalive=statuses.append)
    # Only a slow machine adds STATUS_PROCESSING before it.
    assert statuses[-1] == STATUS.UPNEEDED
    assert statuses.count(STATUS.UPNEEDED) == 1
    kinds = [report[4] for report in handle.read]
    assert kinds[-2:] == [0x80 | CTAPHID.KEEPALIVE, 0x80 | CTAPHID.CBOR]


def test_a_key_source_timeout_sends_cancel_and_ends_in_a_presence_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "key.json"
    monkeypatch.setenv("SECRETS_SOFT_PRESENCE", "after:3600")
    interaction = RecordingInteraction()
    source = FidoKeySource(
        discover=discovery(Selection(soft_paths=(path,), hid_paths=frozenset({path}))),
        interaction=interaction,
        timeout=0.3,
    )
    with pytest.raises(PresenceError, match=r"not touched within 0\.3 s") as caught:
        source.enroll(rp_id=RP_ID, user_name="a", salts=[SALT], reason="enrol")
    assert caught.value.exit_code == 3
    assert interaction.touches == ["enrol"]
    assert not interaction.touching
    assert touches(path) == 0


def test_cancel_ends_the_wait_with_keepalive_cancel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRETS_SOFT_PRESENCE", "after:3600")
    device = SoftHidKey(tmp_path / "key.json").open_device()
    cancelled = threading.Event()
    with pytest.raises(CtapError) as caught:
        Ctap2(device).selection(event=cancelled, on_keepalive=lambda _s: cancelled.set())
    assert caught.value.code == CtapError.ERR.KEEPALIVE_CANCEL
    assert touches(tmp_path / "key.json") == 0


def test_another_channel_is_told_busy_and_python_fido2_retries_after(tmp_path: Path) -> None:
    touched = threading.Event()
    key = SoftHidKey(tmp_path / "key.json", presence=lambda: touched.wait() or True)
    waiting = key.open_device()
    other_handle = Recording(key)
    other = CtapHidDevice(key.descriptor(), other_handle)
    asked = threading.Event()
    results: list[object] = []

    def select() -> None:
        try:
            Ctap2(waiting).selection(on_keepalive=lambda _s: asked.set())
            results.append("selected")
        except Exception as error:  # reported through results
            results.append(error)

    first = threading.Thread(target=select)
    first.start()
    assert asked.wait(30)
    # An event already set makes python-fido2 give up at the first BUSY.
    gave_up = threading.Event()
    gave_up.set()
    with pytest.raises(CtapError) as caught:
        other.call(CTAPHID.CBOR, b"\x04", event=gave_up)
    assert caught.value.code == CtapError.ERR.CHANNEL_BUSY
    # Without one, it retries until the first request is done.
    answers: list[bytes] = []
    second = threading.Thread(target=lambda: answers.append(other.call(CTAPHID.CBOR, b"\x04")))
    other_handle.busy_seen.clear()
    second.start()
    assert other_handle.busy_seen.wait(30)
    touched.set()
    first.join(30)
    second.join(30)
    assert results == ["selected"]
    assert answers
    assert answers[0][0] == 0  # getInfo succeeded
    assert touches(tmp_path / "key.json") == 1


def test_wrong_packets_get_ctaphid_errors(tmp_path: Path) -> None:
    key = SoftHidKey(tmp_path / "key.json")
    handle = key.connect()
    nonce = b"12345678"
    handle.write_packet(packet(BROADCAST, 0x80 | CTAPHID.INIT, b"\x00\x08", nonce))
    answer = handle.read_packet()
    assert answer[7:15] == nonce
    channel = struct.unpack(">I", answer[15:19])[0]

    def error_for(report: bytes) -> int:
        handle.write_packet(report)
        reply = handle.read_packet()
        assert reply[4] == 0x80 | CTAPHID.ERROR, reply.hex()
        return reply[7]

    assert error_for(packet(channel + 1, 0x80 | CTAPHID.PING, b"\x00\x01", 1)) == (
        ERR_INVALID_CHANNEL
    )
    assert error_for(packet(channel, 0x80 | CTAPHID.MSG, b"\x00\x01", 1)) == ERR_INVALID_CMD
    # A ping of 100 bytes, then a continuation out of sequence.
    handle.write_packet(packet(channel, 0x80 | CTAPHID.PING, b"\x00\x64", b"x" * 57))
    assert error_for(packet(channel, 5, b"y" * 59)) == ERR_INVALID_SEQ
    # The channel still works.
    handle.write_packet(packet(channel, 0x80 | CTAPHID.PING, b"\x00\x02", b"ok"))
    assert handle.read_packet()[:9] == channel.to_bytes(4, "big") + b"\x81\x00\x02ok"


def test_softhid_in_secrets_authenticator_lists_a_soft_hid_key(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    result = run(
        "secrets", "token", "list", "--json", env={"SECRETS_AUTHENTICATOR": f"softhid:{path}"}
    )
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["transport"], row["name"], row["hmac_secret"]) == (
        "soft-hid",
        "SoftAuthenticator (HID)",
        True,
    )
    assert result.stderr.startswith("warning: using the software authenticator")


def test_softhid_and_soft_keys_are_offered_together(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    found = soft_authenticators([a, b], hid={b})
    assert [x.transport for x in found] == ["soft", "soft-hid"]
    assert isinstance(found[1].device, CtapHidDevice)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_while_the_hid_key_waits_cancels_and_exits_130(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    env = {**os.environ, **WAIT, "SECRETS_AUTHENTICATOR": f"softhid:{path}"}
    process = subprocess.Popen(
        [script("secrets"), "ring", "init"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    lines = []
    # The prompt is printed when the key's UPNEEDED keepalive arrives.
    for line in process.stderr:
        lines.append(line)
        if line.startswith("Touch your security key"):
            break
    assert lines
    assert lines[-1].startswith("Touch your security key"), lines
    process.send_signal(signal.SIGINT)
    out, rest = process.communicate(timeout=60)
    assert process.returncode == 130
    assert rest == "error: interrupted\n"
    assert out == ""
    assert touches(path) == 0


def test_init_on_a_busy_channel_abandons_its_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRETS_SOFT_PRESENCE", "after:3600")
    key = SoftHidKey(tmp_path / "key.json")
    handle = key.connect()
    handle.write_packet(packet(BROADCAST, 0x80 | CTAPHID.INIT, b"\x00\x08", b"abcdefgh"))
    channel = struct.unpack(">I", handle.read_packet()[15:19])[0]
    handle.write_packet(packet(channel, 0x80 | CTAPHID.CBOR, b"\x00\x01", 0x0B))  # selection
    assert handle.read_packet()[4:8] == bytes([0x80 | CTAPHID.KEEPALIVE, 0, 1, STATUS.UPNEEDED])
    handle.write_packet(packet(channel, 0x80 | CTAPHID.INIT, b"\x00\x08", b"resync!!"))
    reply = handle.read_packet()
    while reply[4] == 0x80 | CTAPHID.KEEPALIVE:  # sent before the INIT arrived
        reply = handle.read_packet()
    assert reply[4] == 0x80 | CTAPHID.INIT
    assert reply[7:15] == b"resync!!"
    handle.write_packet(packet(channel, 0x80 | CTAPHID.PING, b"\x00\x02", b"hi"))
    assert handle.read_packet()[4:9] == b"\x81\x00\x02hi"
    monkeypatch.delenv("SECRETS_SOFT_PRESENCE")
    handle.write_packet(packet(channel, 0x80 | CTAPHID.CBOR, b"\x00\x01", 0x04))  # getInfo
    reply = handle.read_packet()
    while reply[4] == 0x80 | CTAPHID.KEEPALIVE:  # STATUS_PROCESSING, on a slow machine
        assert reply[7] == STATUS.PROCESSING
        reply = handle.read_packet()
    assert reply[4] == 0x80 | CTAPHID.CBOR
    assert reply[7] == 0
    assert touches(tmp_path / "key.json") == 0
