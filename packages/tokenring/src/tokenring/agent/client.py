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


class AgentImpostor(AgentFailure):
    """The socket's peer runs as another user: nothing is sent to it."""


WRITES = ("set", "delete")
"""Requests that change the vault: never repeated in-process once they may have run."""


def check_agent_uid(sock: Any, where: str, *, uid: int | None = None) -> None:
    """:class:`AgentImpostor` unless the process behind ``sock`` runs as ``uid`` (ours).

    Checked before a byte is sent: a socket at our path that another user
    bound (a misconfigured runtime directory) must not see our secrets.
    """
    if not hasattr(os, "getuid"):
        return  # Windows: named pipes, see tokenring.agent.winpipe
    from tokenring.agent.peercred import PeerRefused, peer_credentials

    expected = os.getuid() if uid is None else uid
    try:
        owner = peer_credentials(sock, use_pidfd=False).uid
    except (OSError, PeerRefused) as error:
        raise AgentImpostor(
            "AgentError", f"refused the agent at {where}: cannot tell who runs it ({error})", 6
        ) from None
    if owner != expected:
        raise AgentImpostor(
            "AgentError",
            f"refused the agent at {where}: it runs as uid {owner}, not as you (uid"
            f" {expected}); remove that socket or set TOKENRING_SOCKET",
            6,
        )


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
    try:
        check_agent_uid(sock, where)
    except AgentImpostor:
        sock.close()
        raise
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
        return _converse(sock, frame, on_event, writes=message.get("op") in WRITES)
    finally:
        sock.close()


def _converse(
    sock: _socket.socket, frame: bytes, on_event: EventHandler | None, *, writes: bool
) -> dict[str, Any]:
    # When may the caller do the work in-process instead (AgentUnavailable)?
    # Only when the agent cannot have run the request, so that a write is
    # never done twice: the request was not delivered whole (EPIPE,
    # ECONNRESET while sending), the agent closed with part of it unread
    # (ECONNRESET: Linux resets only a connection closed with unread input),
    # or it said it read nothing (Busy, at its connection cap). A clean close
    # before any answer may follow a write that ran: only reads fall back then.
    # Once an event came, the request was accepted: never.
    try:
        sock.sendall(frame)
    except OSError as error:
        raise AgentUnavailable(
            f"the agent refused the connection: {error.strerror or error}"
        ) from None
    accepted = False
    while True:
        try:
            answer = protocol.read_frame(sock, limit=protocol.MAX_ANSWER)
        except ConnectionResetError as error:
            if not accepted:
                raise AgentUnavailable(f"the agent reset the connection: {error}") from None
            raise AgentGone(f"the agent went away during the request ({error})") from None
        except protocol.ProtocolError as error:
            if not accepted and not writes and isinstance(error, protocol.ConnectionClosed):
                raise AgentUnavailable("the agent closed the connection unanswered") from None
            raise AgentGone(f"the agent went away during the request ({error})") from None
        except OSError as error:
            raise AgentGone(
                f"the agent went away during the request ({error.strerror or error})"
            ) from None
        accepted = True
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
