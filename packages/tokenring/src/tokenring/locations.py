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
import sys

TYPE_CHECKING = False  # see tokenring.client: typing is too heavy for the fast path
if TYPE_CHECKING:
    from collections.abc import Mapping

VAULT_VARIABLE = "TOKENRING_VAULT"
SOCKET_VARIABLE = "TOKENRING_SOCKET"
SOCKET_NAME = "tokenring.sock"
APP_DIR = "secrets-toolkit"


def _secrets_home(env: Mapping[str, str]) -> str:
    override = env.get("SECRETS_HOME")
    if override:
        return os.path.expanduser(override)
    if sys.platform != "linux":
        from secrets_common.paths import secrets_home

        return str(secrets_home(env))
    # Same rule as secrets_common.paths.secrets_home on Linux, without pathlib.
    xdg = env.get("XDG_DATA_HOME", "").strip()
    return os.path.join(xdg or os.path.expanduser("~/.local/share"), APP_DIR)


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
