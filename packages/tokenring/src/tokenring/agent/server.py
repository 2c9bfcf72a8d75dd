"""The TokenRing agent: one unlocked vault served over a private Unix socket.

Each connection gets a thread; a malformed, oversized or truncated frame, a
stalled client or a client of another user ends that connection only. Vault
operations are serialised by the :class:`~tokenring.session.Session` (there
is one security key to touch); ``status`` and ``lock`` never wait behind a
pending touch.

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
import socket
import stat
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from secrets_common import errors
from secrets_common.errors import AgentError, NotFoundError, SecretsError, UsageError
from secrets_common.paths import ensure_private_dir
from secrets_common.vault import VaultRekeyedError
from tokenring.agent import protocol
from tokenring.agent.peercred import PeerCredentials, PeerRefused, check_peer, process_name
from tokenring.known_entries import touch_name
from tokenring.session import Ring, Session

T = TypeVar("T")

READ_TIMEOUT = 30.0
"""Seconds a connection may take to send a whole request."""
MAX_CONNECTIONS = 64
POLL_INTERVAL = 0.1


def error_kind(error: SecretsError) -> str:
    """The nearest class of :mod:`secrets_common.errors`, for the client to rebuild."""
    for klass in type(error).__mro__:
        if getattr(errors, klass.__name__, None) is klass:
            return str(klass.__name__)
    return "SecretsError"


def touch_prompt(peer: PeerCredentials, service: str, user: str) -> str:
    name = process_name(peer.pid)
    who = f"{name} (pid {peer.pid})" if peer.pid is not None else name
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
        owns_socket: bool = True,
    ) -> None:
        self.session = session
        self._listener = listener
        self.socket_path = socket_path
        self.vault = vault
        self.hardening = hardening
        self._log = log
        self._uid = os.getuid() if expected_uid is None else expected_uid
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._inode = os.stat(socket_path).st_ino
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
                try:
                    conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError as error:
                    if error.errno in (errno.EINTR, errno.ECONNABORTED):
                        continue
                    raise
                if not self._slots.acquire(blocking=False):
                    conn.close()
                    continue
                threading.Thread(target=self._serve_connection, args=(conn,), daemon=True).start()
        finally:
            self.session.lock()
            self._listener.close()
            self._remove_socket()

    def _remove_socket(self) -> None:
        # Only our own socket: a newer agent may have replaced a file we lost.
        with contextlib.suppress(OSError):
            if self._owns_socket and os.stat(self.socket_path).st_ino == self._inode:
                os.unlink(self.socket_path)

    def _serve_connection(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(READ_TIMEOUT)
                try:
                    peer = check_peer(conn, expected_uid=self._uid)
                except PeerRefused as refusal:
                    self._log(str(refusal))
                    self._answer_error(
                        conn, AgentError("refused: the agent serves only its own user")
                    )
                    return
                self._conversation(conn, peer)
        except OSError:
            pass  # the client went away; nothing to clean up beyond the socket
        finally:
            self._slots.release()

    def _conversation(self, conn: socket.socket, peer: PeerCredentials) -> None:
        while not self._stopping.is_set():
            try:
                request = protocol.read_frame(conn)
            except protocol.ConnectionClosed:
                return
            except protocol.ProtocolError as error:
                self._log(f"closed a connection from pid {peer.pid}: {error}")
                self._answer_error(conn, AgentError(f"bad request: {error}"))
                return
            except TimeoutError:
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
                answer = self._dispatch(request, peer, send_event)
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
        self, request: dict[str, Any], peer: PeerCredentials, send_event: Callable[[str], None]
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
        name = process_name(peer.pid)
        who = f"{name} (pid {peer.pid})" if peer.pid is not None else name

        def announce_unlock() -> None:
            send_event(f"{who} asks the locked agent — touch your key to unlock the vault")

        if op == "list":
            # With "service": a user-name lookup (keyring's get_credential(service, None)).
            only = request.get("service")
            if isinstance(only, str):
                what = f"look up the user name stored for {only!r}"

                def announce_lookup() -> None:
                    send_event(f"{who} looks up the user name stored for {only!r} — touch your key")

                entries = self._use(
                    lambda ring: ring.entries(_unlock_reason(who, what)), on_locked=announce_lookup
                )
                entries = [entry for entry in entries if entry[0] == only]
            else:
                entries = self._use(
                    lambda ring: ring.entries(_unlock_reason(who, "list the entries")),
                    on_locked=announce_unlock,
                )
            return {"entries": [list(entry) for entry in entries]}
        service, user = _text(request, "service"), _text(request, "user")
        if op == "get":
            reason = touch_prompt(peer, service, user)

            def read(ring: Ring) -> str | None:
                # One touch whether or not the vault is unlocked: announce that one
                # (an unlocked vault knows without a touch that an entry is missing).
                if not ring.might_have(service, user):
                    return None
                send_event(reason)
                # The key's reason completes "touch the key to …" (prompt and error).
                return ring.get(
                    service, user, reason=f"release {touch_name(service, user)} to {who}"
                )

            value = self._use(read)
            if value is None:
                raise NotFoundError(f"no entry for {user} in {service}")
            self._log(f"released {service!r} / {user!r} to {who}")
            return {"value": value}
        if op == "set":
            password = _text(request, "value")
            # Format 2: every write is one touch (the key wraps that entry for itself).
            store_reason = f"{who} wants to store {touch_name(service, user)} — touch your key"

            def store(ring: Ring) -> None:
                send_event(store_reason)
                ring.set(
                    service, user, password, reason=f"store {touch_name(service, user)} for {who}"
                )

            self._use(store)
            self._log(f"stored {service!r} / {user!r} for {who}")
            return {}
        if op == "delete":
            found = self._use(
                lambda ring: ring.delete(
                    service, user, reason=_unlock_reason(who, f"remove an entry of {service!r}")
                ),
                on_locked=announce_unlock,
            )
            if not found:
                raise NotFoundError(f"no entry for {user} in {service}")
            return {}
        raise UsageError(f"unknown request {op!r}")


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
