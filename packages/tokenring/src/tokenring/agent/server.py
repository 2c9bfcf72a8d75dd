"""The TokenRing agent: one unlocked vault served over a private Unix socket.

Each connection gets a thread; a malformed, oversized, truncated or too
deeply nested frame, a client that does not send a whole request in time
(one deadline per frame, however it trickles) or a client of another user
ends that connection only. At the connection cap the longest idle
connection makes room; those with a request in progress are kept. Vault
operations take turns in a fair queue (:mod:`tokenring.agent.turns`; there is
one security key to touch) whose waiters are told whose touch comes first;
``status`` and ``lock`` never wait behind a pending touch. Once its socket
path no longer leads to its own socket, the agent locks and stops.

Requests (``"op"``): ``status``, ``lock``, ``stop``, ``get``, ``set``,
``delete``, ``list``. Every ``get`` and every ``set`` costs a touch,
announced to the caller with an ``event`` frame naming the entry and the
calling process; a vault file older than one already seen is refused
(:mod:`secrets_common.vault.rollback`, kept in this process's memory too).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from secrets_common import errors
from secrets_common.errors import AgentError, NotFoundError, SecretsError, UsageError
from secrets_common.paths import ensure_private_dir
from secrets_common.vault import VaultRekeyedError
from tokenring.agent import protocol
from tokenring.agent.peercred import (
    PeerCredentials,
    PeerRefused,
    check_peer,
    describe_peer,
)
from tokenring.agent.turns import Dropped, Turns
from tokenring.known_entries import touch_name
from tokenring.session import Ring, Session

T = TypeVar("T")

FRAME_TIMEOUT = 10.0
"""Seconds a connection may take to send one whole request, however it trickles."""
SEND_TIMEOUT = 30.0
"""Seconds one answer or event may wait for a client that does not read."""
MAX_CONNECTIONS = 64
"""Connections served at once; past it, idle ones make room, then new ones are refused."""
POLL_INTERVAL = 0.1
FRAME_TIMEOUT_VARIABLE = "TOKENRING_AGENT_FRAME_TIMEOUT"
MAX_CONNECTIONS_VARIABLE = "TOKENRING_AGENT_MAX_CONNECTIONS"
"""For tests: smaller limits than the defaults."""


def error_kind(error: SecretsError) -> str:
    """The nearest class of :mod:`secrets_common.errors`, for the client to rebuild."""
    for klass in type(error).__mro__:
        if getattr(errors, klass.__name__, None) is klass:
            return str(klass.__name__)
    return "SecretsError"


def touch_prompt(who: str, service: str, user: str) -> str:
    """``who`` as :func:`~tokenring.agent.peercred.describe_peer` names the caller."""
    return f"{who} wants {touch_name(service, user)} — touch your key"


def bind_socket(path: str) -> socket.socket:
    """A listening socket at ``path`` (mode 0600, in a 0700 directory).

    A socket file nobody answers on is a leftover of a dead agent and is
    replaced; one that answers means an agent already runs.
    """
    from pathlib import Path

    ensure_private_dir(Path(path).parent)
    if os.path.lexists(path):
        info = os.lstat(path)
        if not stat.S_ISSOCK(info.st_mode):
            raise AgentError(f"{path} exists and is not a socket; remove it first")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except OSError:
            os.unlink(path)
        else:
            from secrets_common.cli.invocation import command

            hint = command("tokenring", "stop")
            raise AgentError(f"an agent already runs at {path}; stop it with `{hint}`")
        finally:
            probe.close()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)
    try:
        listener.bind(path)
    except OSError as error:
        listener.close()
        if error.errno in (errno.ENAMETOOLONG, errno.EINVAL) or len(path) > 100:
            raise AgentError(
                f"socket path {path} is too long for a Unix socket;"
                " set TOKENRING_SOCKET to a shorter one"
            ) from None
        raise AgentError(f"cannot listen at {path}: {error.strerror}") from None
    finally:
        os.umask(previous)
    os.chmod(path, 0o600)
    listener.listen(16)
    return listener


@attrs.frozen
class Asking:
    """What a request in the touch queue is, for those waiting behind it."""

    who: str
    pid: int | None
    what: str
    """``for 'pypi' / '__token__'``, ``to store …``: completes "is asking …"."""


def waiting_line(ahead: Asking) -> str:
    skip = f"stop pid {ahead.pid}" if ahead.pid is not None else "let it time out"
    return (
        f"waiting: {ahead.who} is asking {ahead.what} — touch your key for that first,"
        f" or {skip} if it is not yours"
    )


def _limit(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{name} must be a number, not {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise UsageError(f"{name} must be a positive number, not {text!r}")
    return value


class _Connection:
    """A served connection, as the accept loop sees it when it must make room."""

    def __init__(self, sock: socket.socket, now: float) -> None:
        self.sock = sock
        self.idle = True
        """No complete request yet (or none since the last answer)."""
        self.idle_since = now
        self.dropped = False


class Agent:
    """Serves one :class:`Session` on a listening socket until :meth:`stop`."""

    def __init__(
        self,
        session: Session,
        listener: socket.socket,
        *,
        socket_path: str,
        vault: str,
        hardening: list[str],
        log: Callable[[str], None],
        expected_uid: int | None = None,
        frame_timeout: float | None = None,
        max_connections: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        environ: Mapping[str, str] | None = None,
        owns_socket: bool = True,
    ) -> None:
        env = os.environ if environ is None else environ
        self.session = session
        self._listener = listener
        self.socket_path = socket_path
        self.vault = vault
        self.hardening = hardening
        self._log = log
        self._uid = os.getuid() if expected_uid is None else expected_uid
        self._clock = clock
        self.frame_timeout = (
            frame_timeout
            if frame_timeout is not None
            else _limit(env, FRAME_TIMEOUT_VARIABLE, FRAME_TIMEOUT)
        )
        self.max_connections = (
            max_connections
            if max_connections is not None
            else int(_limit(env, MAX_CONNECTIONS_VARIABLE, MAX_CONNECTIONS))
        )
        self._stopping = threading.Event()
        self._connections: set[_Connection] = set()
        self._connections_lock = threading.Lock()
        self._turns: Turns[Asking] = Turns()
        info = os.stat(socket_path)
        self._socket_id = (info.st_dev, info.st_ino)
        self.stopped_because: str | None = None
        self._owns_socket = owns_socket  # not a socket the service manager bound

    def stop(self) -> None:
        self._stopping.set()

    def serve(self) -> None:
        """Accept connections until stopped; lock on the session's deadlines."""
        self._listener.settimeout(POLL_INTERVAL)
        try:
            while not self._stopping.is_set():
                if self.session.expire():
                    self._log("locked: timeout reached")
                if not self._socket_is_ours():
                    # Clients now reach whoever owns the path: serve nobody, hold nothing.
                    self.stopped_because = (
                        f"{self.socket_path} no longer leads to this agent's socket"
                        " (removed or replaced); locking the vault and stopping"
                    )
                    self._log(self.stopped_because)
                    break
                try:
                    conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError as error:
                    if error.errno in (errno.EINTR, errno.ECONNABORTED):
                        continue
                    raise
                self._admit(conn)
        finally:
            self.session.lock()
            self._listener.close()
            self._remove_socket()

    def _socket_is_ours(self) -> bool:
        try:
            info = os.stat(self.socket_path)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self._socket_id

    def _admit(self, conn: socket.socket) -> None:
        """Serve ``conn`` in its own thread; at the cap, make room or refuse it."""
        record = _Connection(conn, self._clock())
        with self._connections_lock:
            if len(self._connections) >= self.max_connections:
                idle = [c for c in self._connections if c.idle]
                if not idle:
                    # Every slot has a request in progress: those are kept.
                    _refuse_busy(conn)
                    conn.close()
                    return
                victim = min(idle, key=lambda c: c.idle_since)
                victim.dropped = True
                self._connections.discard(victim)
                _refuse_busy(victim.sock)
                with contextlib.suppress(OSError):
                    victim.sock.shutdown(socket.SHUT_RDWR)  # its thread ends and closes it
            self._connections.add(record)
        threading.Thread(target=self._serve_connection, args=(record,), daemon=True).start()

    def _remove_socket(self) -> None:
        # Only our own socket: a newer agent may have replaced a file we lost.
        with contextlib.suppress(OSError):
            if self._owns_socket and self._socket_is_ours():
                os.unlink(self.socket_path)

    def _serve_connection(self, record: _Connection) -> None:
        conn = record.sock
        try:
            with conn:
                try:
                    peer = check_peer(conn, expected_uid=self._uid)
                except PeerRefused as refusal:
                    self._log(str(refusal))
                    conn.settimeout(SEND_TIMEOUT)
                    self._answer_error(
                        conn, AgentError("refused: the agent serves only its own user")
                    )
                    return
                self._conversation(record, peer)
        except OSError:
            pass  # the client went away; nothing to clean up beyond the socket
        except Exception as error:  # one line, never a traceback, and the agent lives on
            self._log(f"closed a connection after an internal error: {type(error).__name__}")
        finally:
            with self._connections_lock:
                self._connections.discard(record)

    def _next_request(self, record: _Connection, peer: PeerCredentials) -> dict[str, Any] | None:
        """The connection's next request, or None once it is over (closed, dropped, late)."""
        conn = record.sock
        with self._connections_lock:
            if record.dropped:
                return None
            record.idle, record.idle_since = True, self._clock()
        try:
            request = protocol.read_frame(
                conn, deadline=protocol.Deadline(self.frame_timeout, self._clock)
            )
        except protocol.ConnectionClosed:
            return None
        except protocol.FrameTimeout:
            if not record.dropped:
                self._log(f"closed a connection from pid {peer.pid}: no whole request in time")
            return None
        except protocol.ProtocolError as error:
            if not record.dropped:
                self._log(f"closed a connection from pid {peer.pid}: {error}")
                conn.settimeout(SEND_TIMEOUT)
                self._answer_error(conn, AgentError(f"bad request: {error}"))
            return None
        if not self._start_request(record):
            return None  # the accept loop dropped it meanwhile to make room for another
        conn.settimeout(SEND_TIMEOUT)
        return request

    def _start_request(self, record: _Connection) -> bool:
        """Mark the connection busy (kept at the cap); False if it was dropped."""
        with self._connections_lock:
            record.idle = False
            return not record.dropped

    def _conversation(self, record: _Connection, peer: PeerCredentials) -> None:
        conn = record.sock
        who = describe_peer(conn, peer)
        while not self._stopping.is_set():
            request = self._next_request(record, peer)
            if request is None:
                return

            def send_event(message: str) -> None:
                protocol.write_frame(
                    conn, {"event": "touch", "message": message}, limit=protocol.MAX_ANSWER
                )

            wanted = request.get("vault")
            if request.get("op") not in ("status", "lock", "stop") and wanted != self.vault:
                # The client then works in-process on the vault it named.
                protocol.write_frame(
                    conn,
                    {
                        "ok": False,
                        "error": {
                            "kind": protocol.OTHER_VAULT,
                            "message": f"the agent serves {self.vault}, not {wanted}",
                            "exit": AgentError.exit_code,
                        },
                    },
                )
                continue
            try:
                answer = self._dispatch(request, peer, who, conn, send_event)
            except Dropped:
                self._log(f"dropped a request of {who}: it went away before its turn")
                return
            except SecretsError as error:
                self._answer_error(conn, error)
                continue
            except OSError:
                raise  # the client went away (e.g. while an event was sent)
            except Exception as error:  # a bug must not take the agent down with it
                self._log(f"internal error: {type(error).__name__}: {error}")
                self._answer_error(conn, AgentError(f"the agent failed: {type(error).__name__}"))
                return
            try:
                frame = protocol.encode({"ok": True, **answer}, limit=protocol.MAX_ANSWER)
            except protocol.ProtocolError as error:
                # e.g. a list of thousands of entries: the client does it in-process.
                frame = protocol.encode(
                    {
                        "ok": False,
                        "error": {"kind": protocol.TOO_LARGE, "message": str(error), "exit": 6},
                    }
                )
            conn.sendall(frame)

    def _answer_error(self, conn: socket.socket, error: SecretsError) -> None:
        with contextlib.suppress(OSError, protocol.ProtocolError):
            protocol.write_frame(
                conn,
                {
                    "ok": False,
                    "error": {
                        "kind": error_kind(error),
                        "message": str(error),
                        "exit": error.exit_code,
                    },
                },
            )

    def _use(
        self, action: Callable[[Ring], T], *, on_locked: Callable[[], None] | None = None
    ) -> T:
        """``session.use``, once more on a fresh unlock if the vault was re-keyed meanwhile."""
        try:
            return self.session.use(action, on_locked=on_locked)
        except VaultRekeyedError:
            # `tokenring rotate` ran while we held the old index key: unlock anew.
            self.session.lock()
            self._log("the vault was re-keyed elsewhere; unlocking it again")
            return self.session.use(action, on_locked=on_locked)

    def _dispatch(
        self,
        request: dict[str, Any],
        peer: PeerCredentials,
        who: str,
        conn: socket.socket,
        send_event: Callable[[str], None],
    ) -> dict[str, Any]:
        op = request.get("op")
        if op == "status":
            return {
                "pid": os.getpid(),
                "vault": self.vault,
                "socket": self.socket_path,
                "hardening": self.hardening,
                **self.session.describe(),
            }
        if op == "lock":
            was_unlocked = self.session.lock()
            self._log("locked on request")
            return {"was_unlocked": was_unlocked}
        if op == "stop":
            self.stop()
            return {}
        # With "service", list is a user-name lookup (get_credential(service, None)).
        only = request.get("service") if op == "list" else None
        if op == "list":
            what = (
                f"to look up the user name stored for {only!r}"
                if isinstance(only, str)
                else "to list the entries"
            )
        elif op in ("get", "set", "delete"):
            service, user = _text(request, "service"), _text(request, "user")
            what = {
                "get": f"for {touch_name(service, user)}",
                "set": f"to store {touch_name(service, user)}",
                "delete": f"to remove {service!r} / {user!r}",
            }[op]
            if op == "set":
                password = _text(request, "value")
        else:
            raise UsageError(f"unknown request {op!r}")
        # One key, one touch at a time, first come first served; whoever waits
        # is told whose touch comes first, and a request whose client left is
        # dropped before the key is asked.
        with self._turns.turn(
            Asking(who, peer.pid, what),
            on_wait=lambda ahead: send_event(waiting_line(ahead)),
            still_wanted=lambda: _still_connected(conn),
        ) as turn:

            def ask(prompt: str) -> None:
                """Show the touch about to be asked for, here and to those waiting."""
                if not _still_connected(conn):
                    raise Dropped("the client went away")
                send_event(f"your turn: {prompt}" if turn.waited else prompt)
                turn.ask()

            def announce_unlock() -> None:
                ask(f"{who} asks the locked agent — touch your key to unlock the vault")

            if op == "list" and isinstance(only, str):

                def announce_lookup() -> None:
                    ask(f"{who} looks up the user name stored for {only!r} — touch your key")

                lookup = f"look up the user name stored for {only!r}"
                entries = self._use(
                    lambda ring: ring.entries(_unlock_reason(who, lookup)),
                    on_locked=announce_lookup,
                )
                return {"entries": [list(entry) for entry in entries if entry[0] == only]}
            if op == "list":
                entries = self._use(
                    lambda ring: ring.entries(_unlock_reason(who, "list the entries")),
                    on_locked=announce_unlock,
                )
                return {"entries": [list(entry) for entry in entries]}
            if op == "get":
                reason = touch_prompt(who, service, user)

                def read(ring: Ring) -> str | None:
                    # One touch whether or not the vault is unlocked: announce that one
                    # (an unlocked vault knows without a touch that an entry is missing).
                    if not ring.might_have(service, user):
                        return None
                    ask(reason)
                    # The key's reason completes "touch the key to …" (prompt and error).
                    release = f"release {touch_name(service, user)} to {who}"
                    return ring.get(service, user, reason=release)

                value = self._use(read)
                if value is None:
                    raise NotFoundError(f"no entry for {user} in {service}")
                self._log(f"released {service!r} / {user!r} to {who}")
                return {"value": value}
            if op == "set":
                # Format 2: every write is one touch (the key wraps that entry for itself).
                store_reason = f"{who} wants to store {touch_name(service, user)} — touch your key"

                def store(ring: Ring) -> None:
                    ask(store_reason)
                    store_phrase = f"store {touch_name(service, user)} for {who}"
                    ring.set(service, user, password, reason=store_phrase)

                self._use(store)
                self._log(f"stored {service!r} / {user!r} for {who}")
                return {}
            found = self._use(
                lambda ring: ring.delete(
                    service, user, reason=_unlock_reason(who, f"remove an entry of {service!r}")
                ),
                on_locked=announce_unlock,
            )
            if not found:
                raise NotFoundError(f"no entry for {user} in {service}")
            return {}


def _still_connected(conn: socket.socket) -> bool:
    """Whether the client is still there to see a prompt (it never half-closes)."""
    poller = select.poll()
    poller.register(conn, select.POLLIN | select.POLLHUP | select.POLLERR)
    for _, events in poller.poll(0):
        if events & (select.POLLHUP | select.POLLERR):
            return False
        if events & select.POLLIN:
            try:
                return conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
            except BlockingIOError:
                return True
            except OSError:
                return False
    return True


def _refuse_busy(conn: socket.socket) -> None:
    """Tell a client the agent read none of its request (it works in-process then)."""
    frame = protocol.encode(
        {
            "ok": False,
            "error": {
                "kind": protocol.BUSY,
                "message": "the agent serves as many connections as it can",
                "exit": AgentError.exit_code,
            },
        }
    )
    with contextlib.suppress(OSError):
        conn.send(frame, socket.MSG_DONTWAIT)  # never let a full buffer stall the accept loop


def _unlock_reason(who: str, what: str) -> str:
    return f"unlock the vault for {who} to {what}"


def _text(request: dict[str, Any], field: str) -> str:
    value = request.get(field)
    if not isinstance(value, str):
        raise UsageError(f"request field {field!r} must be a string")
    return value


def stderr_log(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"tokenring agent: {message}\n")
        sys.stderr.flush()
