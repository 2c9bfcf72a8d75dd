"""Entries of TokenRing that belong to another tool of the toolkit, by name.

A vault that keeps a keyring slot (PINPal's does) stores that slot's secret
under service ``secrets-toolkit``, user ``vault:<vault id>:<slot id>``: where
TokenRing is the keyring backend, that is one of TokenRing's entries. Shown
raw, nobody can tell it holds every secret of another vault, and deleting it
destroys them all. :func:`describe` gives such an entry its human name.

Standard library only, like :mod:`tokenring.locations`: the fast ``list``
path of ``tokenring`` may call it before anything heavier is loaded.
"""

from __future__ import annotations

import os

from secrets_common.home import secrets_home_text

TYPE_CHECKING = False  # see tokenring.agent.client: typing is too heavy for the fast path
if TYPE_CHECKING:
    from collections.abc import Mapping

VAULT_KEY_SERVICE = "secrets-toolkit"
"""The keyring service of vaults' keyring slots (secrets_common.vault.opener)."""
PINPAL_VAULT_KEY = "PINPal's vault key"
PINPAL_LOSS = "every secret PINPal keeps and all progress in learning them"
_PREFIX = "vault:"
_HEADER_LIMIT = 1 << 16  # a vault header is a few kilobytes; never read a whole file


def pinpal_vault_path(environ: Mapping[str, str] | None = None) -> str:
    """Where PINPal keeps its vault: ``$SECRETS_HOME/pinpal/vault``."""
    env = os.environ if environ is None else environ
    return os.path.join(secrets_home_text(env), "pinpal", "vault")


def _vault_id(user: str) -> str | None:
    parts = user.split(":")
    if len(parts) != 3 or parts[0] + ":" != _PREFIX or len(parts[1]) != 32:
        return None
    return parts[1]


def _pinpal_vault_id(environ: Mapping[str, str] | None) -> str | None:
    import json  # only for a vault's key: json loads re, too slow for every fast `list`

    try:
        with open(pinpal_vault_path(environ), "rb") as file:
            line = file.readline(_HEADER_LIMIT)
        vault_id = json.loads(line).get("vault_id")
    except (OSError, ValueError, AttributeError):
        return None
    return vault_id if isinstance(vault_id, str) else None


def describe(service: str, user: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The human name of a toolkit vault's key, or None for an ordinary entry."""
    if service != VAULT_KEY_SERVICE:
        return None
    vault_id = _vault_id(user)
    if vault_id is None:
        return None
    if vault_id == _pinpal_vault_id(environ):
        return PINPAL_VAULT_KEY
    return f"the key of the toolkit vault {vault_id[:8]}…"


def loss(service: str, user: str, environ: Mapping[str, str] | None = None) -> str | None:
    """What deleting the entry would destroy, for an entry :func:`describe` names."""
    name = describe(service, user, environ)
    if name is None:
        return None
    if name == PINPAL_VAULT_KEY:
        return f"it is {PINPAL_VAULT_KEY}: deleting it destroys {PINPAL_LOSS}"
    return f"it is {name}: deleting it destroys every secret in that vault"


def touch_name(service: str, user: str, environ: Mapping[str, str] | None = None) -> str:
    """How a touch prompt names the entry: its human name, else service / user."""
    return describe(service, user, environ) or f"{service!r} / {user!r}"
