"""A listening socket handed over by the service manager (socket activation).

systemd's protocol (``sd_listen_fds``): the manager binds the socket, starts
the service with it as file descriptor 3, and sets ``LISTEN_FDS`` (how many)
and ``LISTEN_PID`` (the pid they are meant for, so that a child that inherits
the environment does not take them too). The variables are removed once read,
as ``sd_listen_fds(1)`` does.
"""

from __future__ import annotations

import os
import socket
from collections.abc import MutableMapping

from secrets_common.errors import AgentError

LISTEN_FDS_START = 3
_VARIABLES = ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")


def listening_socket(environ: MutableMapping[str, str] | None = None) -> socket.socket | None:
    """The socket passed to this process, or None when it was started without one."""
    env = os.environ if environ is None else environ
    meant_for, count = env.get("LISTEN_PID", ""), env.get("LISTEN_FDS", "")
    for name in _VARIABLES:
        env.pop(name, None)
    if meant_for != str(os.getpid()) or not count.isdigit() or int(count) == 0:
        return None
    if int(count) != 1:
        raise AgentError(f"the service manager passed {count} sockets; the agent takes one")
    try:
        listener = socket.socket(fileno=LISTEN_FDS_START)
    except OSError as error:
        raise AgentError(f"the socket passed by the service manager is unusable: {error}") from None
    if listener.family != socket.AF_UNIX or listener.type != socket.SOCK_STREAM:
        listener.detach()
        raise AgentError("the service manager passed a socket that is not a Unix stream socket")
    os.set_inheritable(LISTEN_FDS_START, False)
    return listener
