"""A software CTAP2 authenticator for tests and trials (not hardware-protected).

``SoftAuthenticator(path)`` is a python-fido2 ``CtapDevice``: give it to
``Fido2Client`` like a USB key. It speaks CTAP 2.1 (getInfo, makeCredential,
getAssertion, clientPIN with PIN/UV auth protocols 1 and 2, reset,
selection) with hmac-secret and hmac-secret-mc, over non-resident
credentials whose keys are wrapped inside their IDs.

The state file (JSON, mode 0600) holds the master secret, AAGUID, PIN hash
and retries, the signature counter and ``touches``, the number of
user-presence checks granted. ``SECRETS_SOFT_PRESENCE=deny`` makes the key
refuse touches (python-fido2 reports ``ClientError.ERR.TIMEOUT``). Whoever
selects it prints :func:`warning_line` once, on stderr.

Importing this package loads nothing heavy; the names below load on first use.

Its values are standard-library dataclasses, as python-fido2's are, not
attrs classes: `secrets token list` then loads no more than python-fido2
needs (attrs alone would cost it a third of its time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secrets_common.soft.device import WARNING_TEMPLATE, SoftAuthenticator, warning_line
    from secrets_common.soft.session import PRESENCE_VARIABLE
    from secrets_common.soft.state import SoftStateError

__all__ = [
    "PRESENCE_VARIABLE",
    "WARNING_TEMPLATE",
    "SoftAuthenticator",
    "SoftStateError",
    "warning_line",
]

_HOMES = {
    "PRESENCE_VARIABLE": "secrets_common.soft.session",
    "WARNING_TEMPLATE": "secrets_common.soft.device",
    "SoftAuthenticator": "secrets_common.soft.device",
    "SoftStateError": "secrets_common.soft.state",
    "warning_line": "secrets_common.soft.device",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'secrets_common.soft' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(home), name)
