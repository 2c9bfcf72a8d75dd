"""Security keys as a :class:`~secrets_common.keysource.KeySource`, over python-fido2.

Use :func:`open_key_source`; it honours ``SECRETS_AUTHENTICATOR``. Importing
this package imports nothing else (python-fido2 loads on first use).

Its values are standard-library dataclasses, as python-fido2's are, not
attrs classes: `secrets token list` then loads no more than python-fido2
needs (attrs alone would cost it a third of its time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secrets_common.fido.interaction import (
        Interaction,
        PlainInteraction,
        TerminalInteraction,
        default_interaction,
    )
    from secrets_common.fido.selection import DEFAULT_TIMEOUT, open_key_source
    from secrets_common.fido.source import FidoKeySource

__all__ = [
    "DEFAULT_TIMEOUT",
    "FidoKeySource",
    "Interaction",
    "PlainInteraction",
    "TerminalInteraction",
    "default_interaction",
    "open_key_source",
]

_HOMES = {
    "DEFAULT_TIMEOUT": "secrets_common.fido.selection",
    "FidoKeySource": "secrets_common.fido.source",
    "Interaction": "secrets_common.fido.interaction",
    "PlainInteraction": "secrets_common.fido.interaction",
    "TerminalInteraction": "secrets_common.fido.interaction",
    "default_interaction": "secrets_common.fido.interaction",
    "open_key_source": "secrets_common.fido.selection",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'secrets_common.fido' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(home), name)
