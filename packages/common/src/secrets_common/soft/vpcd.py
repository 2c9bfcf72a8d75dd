"""Putting a card into vsmartcard's virtual reader (vpcd), over its socket.

vpcd is a pcscd driver that listens on TCP (35963 by default) for a virtual
card. Each message either way is a 2-byte big-endian length and that many
bytes. From the reader, one byte is a control code (power off, power on,
reset, ATR wanted); anything longer is a command APDU. The card answers the
ATR request and every APDU, nothing else.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 35963

CONTROL_POWER_OFF = 0x00
CONTROL_POWER_ON = 0x01
CONTROL_RESET = 0x02
CONTROL_ATR = 0x04

logger = logging.getLogger(__name__)


class Card(Protocol):
    @property
    def atr(self) -> bytes: ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def reset(self) -> None: ...

    def transmit(self, raw: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_address(text: str) -> Address:
    """``HOST:PORT`` (``[V6]:PORT`` for IPv6); ValueError saying what is wrong."""
    value = text.strip()
    host, colon, port_text = value.rpartition(":")
    if not colon or not host or not port_text:
        raise ValueError(
            f"{text!r} is not HOST:PORT (the default is {DEFAULT_HOST}:{DEFAULT_PORT})"
        )
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"{text!r}: write an IPv6 address in brackets, [ADDRESS]:PORT")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return Address(host, int(port_text))


class ReaderGone(Exception):
    """vpcd closed the connection (pcscd stopped, or the card was ejected)."""


def _receive_exactly(connection: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = connection.recv(size - len(chunks))
        if not chunk:
            raise ReaderGone
        chunks += chunk
    return bytes(chunks)


def _send(connection: socket.socket, message: bytes) -> None:
    connection.sendall(len(message).to_bytes(2, "big") + message)


def serve(
    connection: socket.socket, card: Card, *, on_inserted: Callable[[], None] = lambda: None
) -> None:
    """Answer the reader on ``connection`` until it goes away (then :class:`ReaderGone`).

    ``on_inserted`` is called once, when pcscd has first powered the card up
    and read its ATR: from then on PC/SC clients find it.
    """
    powering = False
    inserted = False
    while True:
        size = int.from_bytes(_receive_exactly(connection, 2), "big")
        message = _receive_exactly(connection, size)
        if size != 1:
            _send(connection, card.transmit(message))
            continue
        control = message[0]
        if control == CONTROL_ATR:
            _send(connection, card.atr)
            if powering and not inserted:
                inserted = True
                on_inserted()
            powering = False
        elif control == CONTROL_POWER_ON:
            card.power_on()
            powering = True
        elif control == CONTROL_RESET:
            card.reset()
            powering = True
        elif control == CONTROL_POWER_OFF:
            card.power_off()
        else:
            logger.debug("vpcd sent the unknown control byte 0x%02x", control)


def insert(
    card: Card,
    address: Address,
    *,
    on_inserted: Callable[[], None],
    on_waiting: Callable[[str], None],
    stop: threading.Event,
    retry_delay: float = 1.0,
) -> None:
    """Keep ``card`` in the reader at ``address`` until ``stop`` is set.

    pcscd may not run yet, or may stop and come back (Debian's exits when
    idle and is socket-activated again): the card then waits, saying so once
    through ``on_waiting``, and goes back in. A host name that does not
    resolve is an error (OSError), not something to wait for.
    """
    waiting = False
    while not stop.is_set():
        try:
            connection = socket.create_connection((address.host, address.port))
        except socket.gaierror:
            raise
        except OSError as error:
            if not waiting:
                waiting = True
                detail = error.strerror or type(error).__name__
                on_waiting(
                    f"waiting for the virtual reader at {address} ({detail}):"
                    " is pcscd running with vsmartcard-vpcd?"
                )
            stop.wait(retry_delay)
            continue
        waiting = False
        with connection:
            try:
                serve(connection, card, on_inserted=on_inserted)
            except (ReaderGone, OSError):
                logger.debug("the reader at %s went away", address, exc_info=True)
            finally:
                card.power_off()
        if not stop.is_set():
            waiting = True
            on_waiting(f"the virtual reader at {address} went away: waiting for it to come back")
