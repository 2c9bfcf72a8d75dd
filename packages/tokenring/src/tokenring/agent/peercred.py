"""Who is at the other end of a Unix socket: the platform-specific part.

Linux answers ``SO_PEERCRED`` (pid, uid, gid, taken by the kernel when the
client connected, so the client cannot lie). The BSDs and macOS answer
``getpeereid`` (uid and gid; macOS adds the pid through ``LOCAL_PEERPID``).
Standard library only.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
from typing import NamedTuple


class PeerCredentials(NamedTuple):
    uid: int
    gid: int
    pid: int | None
    """``None`` where the platform does not tell."""


class PeerRefused(Exception):
    """The peer runs as another user, or the platform cannot tell who it is."""


_SO_PEERCRED_FORMAT = "3i"  # struct ucred: pid, uid, gid
_MACOS_SOL_LOCAL = 0
_MACOS_LOCAL_PEERPID = 2


def _is_linux() -> bool:
    # A call, not an inline test: mypy would otherwise drop the other branch.
    return sys.platform.startswith("linux")


def peer_credentials(sock: socket.socket) -> PeerCredentials:
    """The credentials of the process that connected ``sock``."""
    if _is_linux():
        raw = sock.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize(_SO_PEERCRED_FORMAT)
        )
        pid, uid, gid = struct.unpack(_SO_PEERCRED_FORMAT, raw)
        return PeerCredentials(uid=uid, gid=gid, pid=pid or None)
    return _getpeereid(sock)


def _getpeereid(sock: socket.socket) -> PeerCredentials:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    getpeereid = getattr(libc, "getpeereid", None)
    if getpeereid is None:
        raise PeerRefused(f"{sys.platform} offers no way to identify a socket's peer")
    uid = ctypes.c_uint32()
    gid = ctypes.c_uint32()
    if getpeereid(sock.fileno(), ctypes.byref(uid), ctypes.byref(gid)) != 0:
        raise PeerRefused(f"getpeereid failed: {os.strerror(ctypes.get_errno())}")
    pid: int | None = None
    if sys.platform == "darwin":
        try:
            raw = sock.getsockopt(_MACOS_SOL_LOCAL, _MACOS_LOCAL_PEERPID, 4)
            pid = struct.unpack("i", raw)[0] or None
        except OSError:
            pid = None
    return PeerCredentials(uid=uid.value, gid=gid.value, pid=pid)


def check_peer(sock: socket.socket, *, expected_uid: int) -> PeerCredentials:
    """The peer's credentials if it runs as ``expected_uid``; else :class:`PeerRefused`."""
    try:
        credentials = peer_credentials(sock)
    except OSError as error:
        raise PeerRefused(f"cannot identify the peer: {error.strerror or error}") from None
    if credentials.uid != expected_uid:
        raise PeerRefused(
            f"refused a connection from uid {credentials.uid} (pid {credentials.pid}):"
            f" this agent serves only uid {expected_uid}"
        )
    return credentials


def process_name(pid: int | None) -> str:
    """A short name for the process ``pid`` (its ``comm``), for touch prompts."""
    if pid is None:
        return "a process"
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as comm:
            name = comm.read().strip()
    except OSError:
        name = ""
    # The name is chosen by the peer: keep it printable so it cannot fake a prompt.
    cleaned = "".join(ch for ch in name if ch.isprintable())[:32]
    return cleaned or "a process"
