"""A software CTAP2 authenticator for tests and trials (not hardware-protected).

Importing this package loads nothing heavy; the names below load on first use.
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
