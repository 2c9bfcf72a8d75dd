"""The agent's wire format: length-prefixed, versioned JSON frames.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8
JSON holding one object with ``"v": VERSION``. Frames above
:data:`MAX_FRAME` are refused before a byte of their payload is read, so a
client cannot make the agent allocate more than that.

Requests carry ``"op"``; answers carry ``"ok"`` and either the result or an
``"error"`` object (``kind``, ``message``); an answer may be preceded by
``"event"`` frames (a touch is wanted) that the client shows to its user.

Standard library only: the fast ``tokenring get`` client imports this module.
"""

from __future__ import annotations

import json
import struct

TYPE_CHECKING = False  # see tokenring.client: typing is too heavy for the fast path
if TYPE_CHECKING:
    import socket
    from typing import Any

VERSION = 1
MAX_FRAME = 64 * 1024
_HEADER = struct.Struct(">I")


class ProtocolError(Exception):
    """A frame that is truncated, oversized, not JSON, or of another version."""


class ConnectionClosed(ProtocolError):
    """The peer closed the connection cleanly between two frames."""


def encode(message: dict[str, Any]) -> bytes:
    """One frame for ``message`` (``"v"`` is added)."""
    payload = json.dumps({"v": VERSION, **message}, separators=(",", ":")).encode()
    if len(payload) > MAX_FRAME:
        raise ProtocolError(f"frame of {len(payload)} bytes exceeds the {MAX_FRAME}-byte limit")
    return _HEADER.pack(len(payload)) + payload


def decode(payload: bytes) -> dict[str, Any]:
    """The message inside one frame's payload, checked for shape and version."""
    try:
        message = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError(f"frame is not UTF-8 JSON: {error}") from None
    if not isinstance(message, dict):
        raise ProtocolError("frame is not a JSON object")
    if message.get("v") != VERSION:
        raise ProtocolError(f"unsupported protocol version {message.get('v')!r}")
    return message


def _receive_exactly(sock: socket.socket, size: int, *, at_boundary: bool) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            if at_boundary and remaining == size:
                raise ConnectionClosed("connection closed")
            raise ProtocolError("truncated frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket) -> dict[str, Any]:
    """Read one frame; :class:`ConnectionClosed` when the peer hung up between frames."""
    (size,) = _HEADER.unpack(_receive_exactly(sock, _HEADER.size, at_boundary=True))
    if size > MAX_FRAME:
        raise ProtocolError(f"frame of {size} bytes exceeds the {MAX_FRAME}-byte limit")
    return decode(_receive_exactly(sock, size, at_boundary=False))


def write_frame(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(encode(message))
