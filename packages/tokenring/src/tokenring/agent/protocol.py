"""The agent's wire format: length-prefixed, versioned JSON frames.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8
JSON holding one object with ``"v": VERSION``. Requests above
:data:`MAX_FRAME` are refused before a byte of their payload is read, so a
client cannot make the agent allocate more than that; answers may be larger
(:data:`MAX_ANSWER`), as only the agent's own user reads them.

Requests carry ``"op"``; answers carry ``"ok"`` and either the result or an
``"error"`` object (``kind``, ``message``); an answer may be preceded by
``"event"`` frames (a touch is wanted) that the client shows to its user.

Standard library only: the fast ``tokenring get`` client imports this module.
"""

from __future__ import annotations

from tokenring.agent import wirejson

TYPE_CHECKING = False  # see tokenring.agent.client: typing is too heavy for the fast path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol

    class Stream(Protocol):
        """A connected stream socket (``socket.socket`` or the bare ``_socket.socket``)."""

        def recv(self, size: int, /) -> bytes: ...

        def settimeout(self, value: float | None, /) -> None: ...

        def sendall(self, data: bytes, /) -> None: ...


VERSION = 1
MAX_FRAME = 64 * 1024
"""Largest request the agent reads: it never allocates more for a client."""
MAX_ANSWER = 16 * 1024 * 1024
"""Largest answer a client reads from its own agent (a long list, a big secret)."""
OTHER_VAULT = "OtherVault"
"""Error kind: the agent serves another vault than the request names."""
TOO_LARGE = "TooLarge"
"""Error kind: the answer would not fit in one frame."""
BUSY = "Busy"
"""Error kind: the agent holds as many connections as it serves; it read no request."""
IN_PROCESS_KINDS = (OTHER_VAULT, TOO_LARGE, BUSY)
"""Answers that send the client to do the work in-process instead."""
_HEADER_SIZE = 4  # big-endian unsigned length; int.to_bytes spares importing struct


class ProtocolError(Exception):
    """A frame that is truncated, oversized, not JSON, or of another version."""


class ConnectionClosed(ProtocolError):
    """The peer closed the connection cleanly between two frames."""


class FrameTimeout(ProtocolError):
    """The whole frame did not arrive before its deadline."""


def encode(message: dict[str, Any], *, limit: int = MAX_FRAME) -> bytes:
    """One frame for ``message`` (``"v"`` is added)."""
    payload = wirejson.dumps({"v": VERSION, **message}).encode()
    if len(payload) > limit:
        raise ProtocolError(f"frame of {len(payload)} bytes exceeds the {limit}-byte limit")
    return len(payload).to_bytes(_HEADER_SIZE, "big") + payload


def decode(payload: bytes) -> dict[str, Any]:
    """The message inside one frame's payload, checked for shape and version."""
    try:
        message = wirejson.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError(f"frame is not UTF-8 JSON: {error}") from None
    if not isinstance(message, dict):
        raise ProtocolError("frame is not a JSON object")
    if message.get("v") != VERSION:
        raise ProtocolError(f"unsupported protocol version {message.get('v')!r}")
    return message


def _receive_exactly(
    sock: Stream, size: int, *, at_boundary: bool, deadline: Deadline | None
) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        if deadline is not None:
            left = deadline.remaining()
            if left <= 0:
                raise FrameTimeout("the frame did not arrive in time")
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(remaining, 65536))
        except TimeoutError:
            if deadline is None:
                raise
            raise FrameTimeout("the frame did not arrive in time") from None
        if not chunk:
            if at_boundary and remaining == size:
                raise ConnectionClosed("connection closed")
            raise ProtocolError("truncated frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class Deadline:
    """A moment on ``clock`` (seconds) by which a whole frame must have arrived."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._at = clock() + seconds

    def remaining(self) -> float:
        return self._at - self._clock()


def read_frame(
    sock: Stream, *, limit: int = MAX_FRAME, deadline: Deadline | None = None
) -> dict[str, Any]:
    """Read one frame; :class:`ConnectionClosed` when the peer hung up between frames.

    With a ``deadline`` the whole frame must arrive by then (a peer that
    trickles one byte at a time gets no more time than one that sends
    nothing): :class:`FrameTimeout` otherwise. It sets the socket's timeout.
    """
    header = _receive_exactly(sock, _HEADER_SIZE, at_boundary=True, deadline=deadline)
    size = int.from_bytes(header, "big")
    if size > limit:
        raise ProtocolError(f"frame of {size} bytes exceeds the {limit}-byte limit")
    return decode(_receive_exactly(sock, size, at_boundary=False, deadline=deadline))


def write_frame(sock: Stream, message: dict[str, Any], *, limit: int = MAX_FRAME) -> None:
    sock.sendall(encode(message, limit=limit))
