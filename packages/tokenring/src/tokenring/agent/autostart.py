"""Starting the agent on demand, as gpg starts gpg-agent.

The first TokenRing client that needs the vault unlocked and finds no agent
starts one, locked, in the background (its own session, standard streams on
``/dev/null`` so that nothing it says reaches the output twine or pip parse),
and sends its request there: that request's touch unlocks the vault, and the
agent keeps it unlocked under its idle and lifetime limits for the clients
that follow. ``TOKENRING_NO_AGENT=1`` switches this off, and so does a
platform without Unix sockets. Clients that start agents at the same time
are arbitrated at bind time (:mod:`tokenring.agent.arbiter`): one wins, the
others find it and use it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from secrets_common.errors import SecretsError
from tokenring.agent import client


def answers(socket_path: str) -> bool:
    """Whether something accepts connections at ``socket_path``."""
    try:
        client.connect(socket_path).close()
    except client.AgentUnavailable:
        return False
    return True


def ensure_agent(vault: Path, socket_path: str) -> bool:
    """Whether an agent answers at ``socket_path`` now, starting one if none did."""
    if sys.platform == "win32":
        return False
    if answers(socket_path):
        return True
    from tokenring.agent import daemon
    from tokenring.session import Timeouts

    try:
        options = daemon.AgentOptions(
            vault=vault,
            socket=socket_path,
            timeouts=Timeouts.from_options(None, None),
            start_locked=True,
        )
        daemon.detach(options, quiet=True)
    except SecretsError:
        pass  # another client's agent won the socket, or none can run here
    return answers(socket_path)
