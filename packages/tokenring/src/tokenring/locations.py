"""Where TokenRing's vault and its agent's socket live.

Standard library only, and no :mod:`pathlib`: the fast ``tokenring get``
client computes the socket path before deciding whether to load anything else.

* vault: ``$TOKENRING_VAULT``, else ``$SECRETS_HOME/tokenring/vault``;
* socket: ``$TOKENRING_SOCKET``, else ``tokenring.sock`` in
  ``$XDG_RUNTIME_DIR/secrets-toolkit/`` (a per-login tmpfs that the system
  empties at logout), else in ``$SECRETS_HOME/run/``.
"""

from __future__ import annotations

import os

from secrets_common.home import APP_NAME as APP_DIR
from secrets_common.home import secrets_home_text

TYPE_CHECKING = False  # see tokenring.agent.client: typing is too heavy for the fast path
if TYPE_CHECKING:
    from collections.abc import Mapping

VAULT_VARIABLE = "TOKENRING_VAULT"
SOCKET_VARIABLE = "TOKENRING_SOCKET"
NO_AGENT_VARIABLE = "TOKENRING_NO_AGENT"
SOCKET_NAME = "tokenring.sock"


def _secrets_home(env: Mapping[str, str]) -> str:
    return secrets_home_text(env)


def vault_path(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    override = env.get(VAULT_VARIABLE)
    if override:
        return os.path.abspath(os.path.expanduser(override))
    return os.path.join(_secrets_home(env), "tokenring", "vault")


def socket_dir(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    override = env.get(SOCKET_VARIABLE)
    if override:
        return os.path.dirname(os.path.abspath(os.path.expanduser(override)))
    runtime = env.get("XDG_RUNTIME_DIR", "").strip()
    if runtime:
        return os.path.join(runtime, APP_DIR)
    return os.path.join(_secrets_home(env), "run")


def socket_path(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    override = env.get(SOCKET_VARIABLE)
    if override:
        return os.path.abspath(os.path.expanduser(override))
    return os.path.join(socket_dir(env), SOCKET_NAME)


def agent_wanted(environ: Mapping[str, str] | None = None) -> bool:
    """False where ``TOKENRING_NO_AGENT`` (set, and not ``0``) asks for in-process work."""
    env = os.environ if environ is None else environ
    return env.get(NO_AGENT_VARIABLE, "").strip() in ("", "0")
