"""The soft key behind CTAPHID: python-fido2's CtapHidDevice does the framing.

:class:`SoftHidKey` is the firmware side of a USB FIDO key (CTAP 2.1, 11.2):
64-byte reports, channels allocated by CTAPHID_INIT, messages split into an
initialisation packet and continuation packets, CTAPHID_CBOR, PING and WINK,
KEEPALIVE every 100 ms while a request runs (STATUS_UPNEEDED while it waits
for a touch), CANCEL, and ERR_CHANNEL_BUSY to a channel that speaks while
another one's request runs. :class:`SoftHidConnection` is one open handle
on it (``fido2.hid.CtapHidConnection``); each handle reads the answers to
its own channels, as if it had the key to itself.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fido2.hid import CAPABILITY, CTAPHID, CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor

from secrets_common.soft.device import SoftAuthenticator
from secrets_common.soft.job import Job

if TYPE_CHECKING:
    from fido2.ctap import STATUS

PACKET_SIZE = 64
BROADCAST = 0xFFFFFFFF
TYPE_INIT = 0x80
INIT_DATA = PACKET_SIZE - 7
CONTINUATION_DATA = PACKET_SIZE - 5
MAX_MESSAGE = INIT_DATA + 128 * CONTINUATION_DATA
KEEPALIVE_PERIOD = 0.1
"""Seconds between keepalives; CTAP asks for at most 100 ms."""
CLOSE_GRACE = 5.0
"""Seconds a closing handle waits for a cancelled request to put the state file back."""

PROTOCOL_VERSION = 2
DEVICE_VERSION = (1, 0, 0)
CAPABILITIES = CAPABILITY.WINK | CAPABILITY.CBOR | CAPABILITY.NMSG

ERR_INVALID_CMD = 0x01
ERR_INVALID_PAR = 0x02
ERR_INVALID_LEN = 0x03
ERR_INVALID_SEQ = 0x04
ERR_CHANNEL_BUSY = 0x06
ERR_INVALID_CHANNEL = 0x0B


@dataclass(slots=True)
class _Assembly:
    """A request arriving packet by packet on one channel."""

    channel: int
    command: int
    length: int
    data: bytearray
    next_sequence: int = 0

    @property
    def complete(self) -> bool:
        return len(self.data) >= self.length


class SoftHidConnection(CtapHidConnection):
    """One open handle on a :class:`SoftHidKey`, as a hidraw file is on a USB key."""

    def __init__(self, key: SoftHidKey) -> None:
        self._key = key
        self._incoming: queue.Queue[bytes | Exception] = queue.Queue()
        self._closed = False

    def write_packet(self, data: bytes) -> None:
        if self._closed:
            raise OSError("the soft HID connection is closed")
        packet = bytes(data)
        if len(packet) != PACKET_SIZE:
            raise OSError(f"a report is {PACKET_SIZE} bytes, not {len(packet)}")
        self._key.receive(self, packet)

    def read_packet(self) -> bytes:
        if self._closed:
            raise OSError("the soft HID connection is closed")
        item = self._incoming.get()
        if isinstance(item, Exception):
            raise item
        return item

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._key.disconnect(self)

    def deliver(self, item: bytes | Exception) -> None:
        self._incoming.put(item)


class SoftHidKey:
    """The CTAPHID firmware of one software key (its state file at ``path``)."""

    def __init__(self, path: Path, *, presence: Callable[[], bool] | None = None) -> None:
        self._path = Path(path)
        self._device = SoftAuthenticator(self._path, presence=presence)
        self._lock = threading.Lock()
        self._channels: dict[int, SoftHidConnection] = {}
        self._last_channel = 0
        self._assembly: _Assembly | None = None
        self._job: Job | None = None
        self._job_channel = 0

    @property
    def path(self) -> Path:
        return self._path

    def descriptor(self) -> HidDescriptor:
        return HidDescriptor(
            path=f"softhid:{self._path}",
            vid=0,
            pid=0,
            report_size_in=PACKET_SIZE,
            report_size_out=PACKET_SIZE,
            product_name="SoftAuthenticator (HID)",
            serial_number=None,
        )

    def connect(self) -> SoftHidConnection:
        return SoftHidConnection(self)

    def open_device(self) -> CtapHidDevice:
        """python-fido2's HID device on a new handle (it allocates its channel)."""
        return CtapHidDevice(self.descriptor(), self.connect())

    def disconnect(self, connection: SoftHidConnection) -> None:
        """A handle closed: its channels go, and a request of theirs is cancelled."""
        with self._lock:
            mine = {cid for cid, owner in self._channels.items() if owner is connection}
            for cid in mine:
                del self._channels[cid]
            if self._assembly is not None and self._assembly.channel in mine:
                self._assembly = None
            job = self._job if self._job_channel in mine else None
        if job is not None:
            job.cancel()
            job.join(CLOSE_GRACE)

    def receive(self, connection: SoftHidConnection, packet: bytes) -> None:
        """One output report from the host."""
        channel = int.from_bytes(packet[:4], "big")
        with self._lock:
            if packet[4] & TYPE_INIT:
                self._initialisation(connection, channel, packet)
            else:
                self._continuation(connection, channel, packet)

    def _initialisation(self, connection: SoftHidConnection, channel: int, packet: bytes) -> None:
        command = packet[4] & ~TYPE_INIT
        length = int.from_bytes(packet[5:7], "big")
        if command == CTAPHID.INIT:
            self._init(connection, channel, packet[7 : 7 + length])
            return
        if channel in (0, BROADCAST) or channel not in self._channels:
            self._error(connection, channel, ERR_INVALID_CHANNEL)
            return
        if command == CTAPHID.CANCEL:
            # No answer to a cancel; the cancelled request answers KEEPALIVE_CANCEL.
            if self._job is not None and self._job_channel == channel:
                self._job.cancel()
            return
        if self._job is not None or (
            self._assembly is not None and self._assembly.channel != channel
        ):
            self._error(connection, channel, ERR_CHANNEL_BUSY)
            return
        if self._assembly is not None:
            # A new request on a channel still sending the last one.
            self._assembly = None
            self._error(connection, channel, ERR_INVALID_SEQ)
            return
        if length > MAX_MESSAGE:
            self._error(connection, channel, ERR_INVALID_LEN)
            return
        self._assembly = _Assembly(channel, command, length, bytearray(packet[7 : 7 + length]))
        self._maybe_execute(connection)

    def _continuation(self, connection: SoftHidConnection, channel: int, packet: bytes) -> None:
        assembly = self._assembly
        if assembly is None or assembly.channel != channel:
            return  # a stray continuation is ignored
        sequence = packet[4]
        if sequence != assembly.next_sequence:
            self._assembly = None
            self._error(connection, channel, ERR_INVALID_SEQ)
            return
        assembly.next_sequence += 1
        assembly.data += packet[5 : 5 + assembly.length - len(assembly.data)]
        self._maybe_execute(connection)

    def _init(self, connection: SoftHidConnection, channel: int, nonce: bytes) -> None:
        if len(nonce) != 8:
            self._error(connection, channel, ERR_INVALID_LEN)
            return
        if channel == BROADCAST:
            allocated = self._allocate(connection)
        elif channel in self._channels:
            # Resynchronisation: the channel's transaction is abandoned.
            allocated = channel
            if self._assembly is not None and self._assembly.channel == channel:
                self._assembly = None
            if self._job is not None and self._job_channel == channel:
                self._job.cancel()
                self._job = None  # its answer, when it comes, goes nowhere
        else:
            self._error(connection, channel, ERR_INVALID_CHANNEL)
            return
        answer = (
            nonce
            + allocated.to_bytes(4, "big")
            + bytes([PROTOCOL_VERSION, *DEVICE_VERSION, CAPABILITIES])
        )
        self._send(connection, channel, CTAPHID.INIT, answer)

    def _allocate(self, connection: SoftHidConnection) -> int:
        self._last_channel = self._last_channel % (BROADCAST - 1) + 1
        self._channels[self._last_channel] = connection
        return self._last_channel

    def _maybe_execute(self, connection: SoftHidConnection) -> None:
        assembly = self._assembly
        if assembly is None or not assembly.complete:
            return
        self._assembly = None
        channel, command, data = assembly.channel, assembly.command, bytes(assembly.data)
        if command == CTAPHID.PING:
            self._send(connection, channel, CTAPHID.PING, data)
        elif command == CTAPHID.WINK:
            self._send(connection, channel, CTAPHID.WINK, b"")
        elif command == CTAPHID.CBOR:
            if not data:
                self._error(connection, channel, ERR_INVALID_LEN)
                return
            self._start(channel, data)
        else:
            # MSG (U2F) among them: this key speaks CTAP2 only (CAPABILITY.NMSG).
            self._error(connection, channel, ERR_INVALID_CMD)

    def _start(self, channel: int, request: bytes) -> None:
        job: Job | None = None

        def on_status(status: STATUS) -> None:
            # Sent at once, so that even a touch granted at once was asked for.
            with self._lock:
                if self._job is not None and self._job is job:
                    self._keepalive(channel, status)

        def on_done(job: Job) -> None:
            with self._lock:
                if self._job is not job:
                    return  # abandoned by a resynchronising INIT
                owner = self._channels.get(channel)
                if owner is not None:
                    if job.error is not None:
                        owner.deliver(job.error)
                    else:
                        self._send(owner, channel, CTAPHID.CBOR, job.response)
                self._job = None

        self._job_channel = channel
        # The callbacks wait for the lock held here, so they see ``job`` set.
        job = Job(self._device, request, on_status=on_status, on_done=on_done)
        self._job = job
        threading.Thread(
            target=self._tick, args=(job, channel), name="soft-hid-keepalive", daemon=True
        ).start()

    def _tick(self, job: Job, channel: int) -> None:
        while not job.wait(KEEPALIVE_PERIOD):
            with self._lock:
                if self._job is job:
                    self._keepalive(channel, job.status)

    def _keepalive(self, channel: int, status: STATUS) -> None:
        owner = self._channels.get(channel)
        if owner is not None:
            self._send(owner, channel, CTAPHID.KEEPALIVE, bytes([status]))

    def _error(self, connection: SoftHidConnection, channel: int, code: int) -> None:
        self._send(connection, channel, CTAPHID.ERROR, bytes([code]))

    def _send(self, connection: SoftHidConnection, channel: int, command: int, data: bytes) -> None:
        header = channel.to_bytes(4, "big")
        first = header + bytes([TYPE_INIT | command]) + len(data).to_bytes(2, "big")
        connection.deliver((first + data[:INIT_DATA]).ljust(PACKET_SIZE, b"\0"))
        rest = data[INIT_DATA:]
        sequence = 0
        while rest:
            packet = header + bytes([sequence]) + rest[:CONTINUATION_DATA]
            connection.deliver(packet.ljust(PACKET_SIZE, b"\0"))
            rest = rest[CONTINUATION_DATA:]
            sequence += 1


def open_soft_hid(path: Path) -> CtapHidDevice:
    """python-fido2's CtapHidDevice on a new software HID key for the state file ``path``."""
    return SoftHidKey(path).open_device()
