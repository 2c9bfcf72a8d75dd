"""Who is at the other end of a Unix socket: the platform-specific part.

Linux answers ``SO_PEERCRED`` (pid, uid, gid, taken by the kernel when the
client connected, so the client cannot lie) and, since 6.5,
``SO_PEERPIDFD``: a pidfd of the peer, which keeps naming that very process
even after it exits and its pid is given to another. The BSDs and macOS
answer ``getpeereid`` (uid and gid; macOS adds the pid through
``LOCAL_PEERPID``). Standard library only: the fast client imports
:func:`peer_credentials` to check the agent's uid.

:func:`describe` names the process for prompts — advisory only: the name
is read from the process's own ``/proc`` entries, and code of the same user
can run anything under any name.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # see tokenring.agent.client: typing is too heavy for the fast path
if TYPE_CHECKING:
    from typing import Any


class PeerCredentials(tuple):  # type: ignore[type-arg]
    """``(uid, gid, pid)``; ``pid`` is ``None`` where the platform does not tell.

    A plain tuple subclass, not a NamedTuple: :mod:`typing` is too heavy to
    import on the fast client's path.
    """

    __slots__ = ()

    def __new__(cls, uid: int, gid: int, pid: int | None) -> PeerCredentials:
        return super().__new__(cls, (uid, gid, pid))

    @property
    def uid(self) -> int:
        return int(self[0])

    @property
    def gid(self) -> int:
        return int(self[1])

    @property
    def pid(self) -> int | None:
        pid = self[2]
        return None if pid is None else int(pid)


class PeerRefused(Exception):
    """The peer runs as another user, or the platform cannot tell who it is."""


SO_PEERPIDFD = 77
"""Linux's option number; the socket module of older Pythons does not name it."""
_SOL_SOCKET = 1  # Linux
_SO_PEERCRED = 17  # Linux
_MACOS_SOL_LOCAL = 0
_MACOS_LOCAL_PEERPID = 2
_INTERPRETERS = ("python", "pypy", "perl", "ruby", "node", "nodejs", "sh", "bash", "dash", "zsh")
_SHELLS = ("sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "tcsh", "csh")
_NOT_A_PARENT = ("init", "systemd")
_CODE_OPTIONS = ("-c", "-e", "-E", "--eval", "-p", "--print")
"""Interpreter options after which the program is inline code, not a script."""
_PYTHON_VALUE_OPTIONS = ("-W", "-X", "-Q")


def _is_linux() -> bool:
    # A call, not an inline test: mypy would otherwise drop the other branch.
    return sys.platform.startswith("linux")


def peer_credentials(sock: Any, *, use_pidfd: bool = True) -> PeerCredentials:
    """The credentials of the process that connected ``sock``.

    On Linux the pid comes from the peer's pidfd when the kernel offers one
    (``use_pidfd`` is there for tests of the older path), else from
    ``SO_PEERCRED``.
    """
    if _is_linux():
        raw = sock.getsockopt(_SOL_SOCKET, _SO_PEERCRED, 12)
        pid = int.from_bytes(raw[0:4], sys.byteorder, signed=True)
        uid = int.from_bytes(raw[4:8], sys.byteorder)
        gid = int.from_bytes(raw[8:12], sys.byteorder)
        if use_pidfd:
            pid = _pid_through_pidfd(sock, pid)
        return PeerCredentials(uid, gid, pid if pid > 0 else None)
    return _getpeereid(sock)


def _pid_through_pidfd(sock: Any, fallback: int) -> int:
    """The peer's pid as its pidfd tells it now: 0 once the peer is gone."""
    try:
        pidfd = sock.getsockopt(_SOL_SOCKET, SO_PEERPIDFD)
    except OSError:
        return fallback  # before Linux 6.5: SO_PEERCRED's pid, silently
    try:
        return pidfd_pid(pidfd)
    finally:
        os.close(pidfd)


def pidfd_pid(pidfd: int) -> int:
    """The pid a pidfd refers to (``Pid:`` in its fdinfo); 0 once that process is gone."""
    try:
        with open(f"/proc/self/fdinfo/{pidfd}", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("Pid:"):
                    pid = int(line.split()[1])
                    return pid if pid > 0 else 0
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _getpeereid(sock: Any) -> PeerCredentials:
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
            pid = int.from_bytes(raw, sys.byteorder, signed=True) or None
        except OSError:
            pid = None
    return PeerCredentials(uid.value, gid.value, pid)


def check_peer(sock: Any, *, expected_uid: int) -> PeerCredentials:
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


def _printable(text: str) -> str:
    # The name is chosen by the peer: keep it printable so it cannot fake a prompt.
    return "".join(ch for ch in text if ch.isprintable())[:48]


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as source:
            return source.read(65536)
    except OSError:
        return b""


def _executable(pid: int) -> str:
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        # Not ours to read (another user's, a kernel thread): the self-chosen comm.
        return _read(f"/proc/{pid}/comm").decode("utf-8", "replace").strip()


def _is_interpreter(name: str) -> bool:
    base = name.rstrip("0123456789.")
    return base in _INTERPRETERS


def script_name(interpreter: str, argv: list[str]) -> str | None:
    """The program an interpreter runs, from its command line (``argv[0]`` included).

    ``python -m twine`` is ``twine``, ``python /venv/bin/keyring`` is
    ``keyring``; ``None`` for inline code (``-c``) or a program on stdin.
    """
    python = interpreter.startswith(("python", "pypy"))
    args = iter(argv[1:])
    for arg in args:
        if arg == "--":
            script = next(args, None)
            return os.path.basename(script) if script and script != "-" else None
        if python and arg.startswith("-m"):
            module = arg[2:] or next(args, "")
            return module.split(".")[0] or None
        if arg in _CODE_OPTIONS or (python and arg.startswith("-c")):
            return None
        if python and arg in _PYTHON_VALUE_OPTIONS:
            next(args, None)
            continue
        if arg.startswith("-") and arg != "-":
            continue
        if arg == "-":
            return None  # the program comes on stdin
        return os.path.basename(arg) or None
    return None


def program_name(pid: int) -> str:
    """A short name for the process ``pid``: its executable, or the script it interprets."""
    executable = _executable(pid)
    if _is_interpreter(executable):
        argv = [
            part.decode("utf-8", "replace") for part in _read(f"/proc/{pid}/cmdline").split(b"\0")
        ]
        script = script_name(executable, [part for part in argv if part] if argv else [])
        if script:
            return _printable(script) or "a process"
    return _printable(executable) or "a process"


def process_name(pid: int | None) -> str:
    """A short name for the process ``pid``, for touch prompts."""
    if pid is None:
        return "a process"
    return program_name(pid)


def parent_pid(pid: int) -> int | None:
    """The parent of ``pid`` (``/proc/PID/stat``), or None."""
    stat = _read(f"/proc/{pid}/stat")
    # The comm, in parentheses, may itself hold spaces and parentheses.
    fields = stat[stat.rfind(b")") + 1 :].split()
    try:
        ppid = int(fields[1])
    except (IndexError, ValueError):
        return None
    return ppid if ppid > 0 else None


def describe(pid: int | None) -> str:
    """``keyring (pid 12), run by uv (pid 10)``: the caller and the tool that ran it.

    The parent is left out when it is a shell (the user typed the command)
    or init, which only adopted an orphan.
    """
    if pid is None:
        return "a process"
    who = f"{process_name(pid)} (pid {pid})"
    ppid = parent_pid(pid)
    if ppid is None or ppid == 1:
        return who
    executable = _executable(ppid)
    if executable.rstrip("0123456789.") in _SHELLS or executable in _NOT_A_PARENT:
        return who
    parent = program_name(ppid)
    if parent_pid(pid) != ppid:  # the parent exited meanwhile: its pid may be another's
        return who
    return f"{who}, run by {parent} (pid {ppid})"


def describe_peer(sock: Any, credentials: PeerCredentials) -> str:
    """:func:`describe` for the peer of ``sock``, held by its pidfd where there is one.

    The pidfd pins the process: if its pid was read, then the names, and
    the pidfd still reports the same pid, the names are that process's and
    not those of a newcomer that inherited the pid.
    """
    pid = credentials.pid
    if pid is None or not _is_linux():
        return describe(pid)
    try:
        pidfd = sock.getsockopt(_SOL_SOCKET, SO_PEERPIDFD)
    except OSError:
        return describe(pid)
    try:
        if pidfd_pid(pidfd) != pid:
            return f"an exited process (pid {pid})"
        who = describe(pid)
        if pidfd_pid(pidfd) != pid:
            return f"an exited process (pid {pid})"
        return who
    finally:
        os.close(pidfd)
