"""A small client of the TokenRing agent, on the standard library alone.

``tokenring get`` through a running agent imports only this module, the
protocol (with :mod:`tokenring.agent.wirejson`) and the locations: no keyring,
cryptography, typer or attrs, and not even :mod:`json` or :mod:`re`. The
full toolkit translates these exceptions into its own errors
(:mod:`tokenring.agent.remote`).
"""

from __future__ import annotations

import _socket
import os
import sys

from tokenring.agent import protocol
from tokenring.locations import socket_path

# Not `typing.TYPE_CHECKING`: importing typing would cost this client more
# than everything else it loads. mypy treats the name the same way.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeAlias

    EventHandler: TypeAlias = Callable[[dict[str, Any]], None]


class AgentUnavailable(Exception):
    """No agent answers at the socket: none was started, or it died."""


class AgentGone(Exception):
    """The agent went away or answered nonsense in the middle of a request."""


class AgentFailure(Exception):
    """The agent answered with an error (no such entry, wrong key, ...)."""

    def __init__(self, kind: str, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.exit_code = exit_code


def connect(path: str | None = None) -> _socket.socket:
    """A connection to the agent, or :class:`AgentUnavailable`.

    The bare ``_socket`` type: the ``socket`` module's wrapper would load
    ``selectors`` and ``array`` for features this client never uses.
    """
    where = path or socket_path()
    family = getattr(_socket, "AF_UNIX", None)
    if family is None:  # Windows: see tokenring.agent.winpipe
        raise AgentUnavailable("this platform has no Unix sockets")
    sock = _socket.socket(family, _socket.SOCK_STREAM)
    try:
        sock.connect(where)
    except OSError as error:
        sock.close()
        raise AgentUnavailable(f"no agent at {where}: {error.strerror or error}") from None
    return sock


def request(
    message: dict[str, Any],
    *,
    path: str | None = None,
    on_event: EventHandler | None = None,
) -> dict[str, Any]:
    """Send one request and return the agent's successful answer.

    Raises :class:`AgentUnavailable` when nothing listens or the agent cannot
    serve this request (another vault, too large: the caller then works
    in-process), :class:`AgentGone` when the connection breaks after the
    request was sent, and :class:`AgentFailure` for an error answer.
    """
    try:
        frame = protocol.encode(message)
    except protocol.ProtocolError as error:
        raise AgentUnavailable(f"too large for the agent: {error}") from None
    sock = connect(path)
    try:
        return _converse(sock, frame, on_event)
    finally:
        sock.close()


def _converse(sock: _socket.socket, frame: bytes, on_event: EventHandler | None) -> dict[str, Any]:
    try:
        sock.sendall(frame)
    except OSError as error:
        raise AgentGone(f"the agent closed the connection: {error.strerror or error}") from None
    while True:
        try:
            answer = protocol.read_frame(sock, limit=protocol.MAX_ANSWER)
        except protocol.ProtocolError as error:
            raise AgentGone(f"the agent went away during the request ({error})") from None
        except OSError as error:
            raise AgentGone(
                f"the agent went away during the request ({error.strerror or error})"
            ) from None
        if "event" in answer:
            if on_event is not None:
                on_event(answer)
            continue
        if answer.get("ok") is True:
            return answer
        problem = answer.get("error")
        if not isinstance(problem, dict):
            raise AgentGone("the agent answered nonsense")
        if problem.get("kind") in protocol.IN_PROCESS_KINDS:
            raise AgentUnavailable(str(problem.get("message", "the agent cannot serve this")))
        code = problem.get("exit")
        raise AgentFailure(
            str(problem.get("kind", "error")),
            str(problem.get("message", "the agent refused the request")),
            code if isinstance(code, int) else 1,
        )


def show_event(event: dict[str, Any]) -> None:
    """Show an agent event (a touch request) on stderr."""
    text = event.get("message")
    # Started with stderr closed (`2>&-`), fd 2 may now be the agent's socket.
    if isinstance(text, str) and text and sys.stderr is not None:
        try:  # noqa: SIM105 - contextlib would be one more import on the fast path
            os.write(2, (text + "\n").encode("utf-8", "replace"))
        except OSError:
            pass  # no stderr to show it on; the agent's own terminal may still show it
