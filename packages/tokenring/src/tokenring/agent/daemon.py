"""Running the agent: in the foreground, or detached with readiness reported.

``--detach`` re-executes ``python -m tokenring agent`` in a new session with a
pipe on which the child writes ``ready`` (or one error line) once it
listens and holds the unlocked vault; the parent exits only then, with the
child's verdict. The child keeps the caller's stderr until it is ready, so
that the unlocking touch prompt is seen, then lets go of it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from secrets_common.errors import AgentError, SecretsError
from tokenring import keys
from tokenring.agent import activation, arbiter
from tokenring.agent.hardening import harden
from tokenring.agent.server import Agent, bind_socket, stderr_log
from tokenring.ring import Ring, open_vault
from tokenring.session import Session, Timeouts

READY = b"ready\n"


@attrs.frozen
class AgentOptions:
    vault: Path
    socket: str
    timeouts: Timeouts
    start_locked: bool = False
    """Serve at once and unlock on the first request (with that request's touch)."""


def serve(options: AgentOptions, *, ready_fd: int | None = None, detached: bool = False) -> None:
    """Run the agent here until stopped; ``ready_fd`` gets ``ready`` once it serves.

    ``detached`` (the child of :func:`detach`) lets go of the terminal then.
    """
    if sys.platform == "win32":
        from tokenring.agent.winpipe import serve_on_named_pipe

        serve_on_named_pipe()
        return
    interaction = keys.AgentInteraction(stream=sys.stderr, pin_prompt=_terminal_pin_prompt())
    try:
        agent = _start(options, interaction)
    except SecretsError as error:
        if ready_fd is None:
            raise
        # The parent that waits on ready_fd reports the error, with this status.
        _signal_ready(ready_fd, f"error: {error}\n".encode())
        raise SystemExit(error.exit_code) from None
    except BaseException:
        _signal_ready(ready_fd, b"error: the agent failed to start\n")
        raise
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: agent.stop())
    signal.signal(signal.SIGHUP, lambda *_: agent.session.lock())
    if not detached:  # the parent of a detached agent says it, once
        stderr_log(f"serving {running(options, os.getpid())}")
    _signal_ready(ready_fd, READY)
    if detached:
        _release_terminal()
        interaction.detach()
    agent.serve()
    stderr_log("stopped")


def running(options: AgentOptions, pid: int) -> str:
    """What a started agent serves, where, and when it locks: for its one line."""
    return (
        f"{options.vault} at {options.socket} (pid {pid}); locks after"
        f" {options.timeouts.idle:g} s idle and {options.timeouts.lifetime:g} s at most"
    )


def _terminal_pin_prompt() -> Callable[[str, str], str | None] | None:
    """Ask for a key's PIN on this terminal, if the agent has one."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None
    from secrets_common.fido.interaction import default_interaction

    return default_interaction().ask_pin


def _start(options: AgentOptions, interaction: keys.AgentInteraction) -> Agent:
    applied = harden()  # before any key material enters this process
    open_vault(options.vault)  # a clear error before the socket exists
    listener = activation.listening_socket()
    activated = listener is not None
    if listener is None:
        with arbiter.binding(options.socket):
            listener = bind_socket(options.socket)
    socket_path = _bound_path(listener, options.socket)
    try:
        opener = keys.opener(interaction=interaction)
        session = Session(
            lambda: Ring.open(options.vault, opener), options.timeouts, time.monotonic
        )
        if not options.start_locked:
            session.unlock(f"unlock {options.vault} for the TokenRing agent")
        return Agent(
            session,
            listener,
            socket_path=socket_path,
            vault=str(options.vault),
            hardening=applied,
            log=stderr_log,
            owns_socket=not activated,
        )
    except BaseException:
        listener.close()
        if not activated:  # the service manager's socket stays for the next start
            with contextlib.suppress(OSError):
                os.unlink(options.socket)
        raise


def _bound_path(listener: socket.socket, fallback: str) -> str:
    """Where the socket really is: an activated one is where the unit put it."""
    name = listener.getsockname()
    return name if isinstance(name, str) and name else fallback


def _signal_ready(fd: int | None, message: bytes) -> None:
    if fd is None:
        return
    with contextlib.suppress(OSError):
        os.write(fd, message)
        os.close(fd)


def _release_terminal() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def detach(options: AgentOptions, *, quiet: bool = False) -> int:
    """Start the agent in the background; its pid once it is ready.

    ``quiet`` (an agent started on demand by a client) gives it no terminal at
    all: its prompts reach the clients that ask as ``event`` frames.
    """
    read_end, write_end = os.pipe()
    command = [
        sys.executable,
        "-m",
        "tokenring",
        "agent",
        "--vault",
        str(options.vault),
        "--idle-timeout",
        repr(options.timeouts.idle),
        "--lifetime",
        repr(options.timeouts.lifetime),
        "--ready-fd",
        str(write_end),
        "--detached",
        *(["--locked"] if options.start_locked else []),
    ]
    env = {**os.environ, "TOKENRING_SOCKET": options.socket}
    # Otherwise stdin and stderr stay until it is ready: PIN, prompt.
    kept = subprocess.DEVNULL if quiet else None
    try:
        child = subprocess.Popen(
            command,
            pass_fds=(write_end,),
            start_new_session=True,
            cwd="/",  # hold no directory (and its file system) busy for the session
            stdin=kept,
            stdout=subprocess.DEVNULL,
            stderr=kept,
            env=env,
            close_fds=True,
        )
    finally:
        os.close(write_end)
    with os.fdopen(read_end, "rb") as verdict:
        answer = verdict.read(4096)
    if answer == READY:
        return child.pid
    status = child.wait()
    text = answer.decode("utf-8", "replace").strip()
    if text.startswith("error: "):
        text = text[len("error: ") :]
    failure = AgentError(text or f"the agent exited (status {status}) before it was ready")
    if text and status > 0:
        failure.exit_code = status  # the child's own verdict: no vault, wrong key...
    raise failure
