"""A software CTAP2 authenticator for tests and trials (not hardware-protected)."""

from __future__ import annotations

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
