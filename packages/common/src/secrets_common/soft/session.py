"""What the authenticator keeps in RAM for one power cycle, and the touch.

A real key forgets its key-agreement key, its pinUvAuthToken and the count
of consecutive wrong PINs when unplugged; here "power cycle" is the life of
one SoftAuthenticator object.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from cryptography.hazmat.primitives.asymmetric import ec
from fido2.ctap import STATUS, CtapError

from secrets_common.soft.state import StateBox

PRESENCE_VARIABLE = "SECRETS_SOFT_PRESENCE"

# Permissions of CTAP 2.1's pinUvAuthToken (6.5.5.7) that this key grants.
PERMISSION_MAKE_CREDENTIAL = 0x01
PERMISSION_GET_ASSERTION = 0x02
SUPPORTED_PERMISSIONS = PERMISSION_MAKE_CREDENTIAL | PERMISSION_GET_ASSERTION

# Wrong PINs in a row before the key insists on a power cycle (CTAP 2.1 6.5.5.5).
CONSECUTIVE_PIN_FAILURES_MAX = 3


PRESENCE_DENY = "deny"


def presence_setting(environ: Mapping[str, str]) -> str:
    """SECRETS_SOFT_PRESENCE as compared: stripped, lower case, "" when unset."""
    return environ.get(PRESENCE_VARIABLE, "").strip().lower()


def presence_from_environment(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a touch is granted: yes, unless SECRETS_SOFT_PRESENCE=deny."""
    return presence_setting(os.environ if environ is None else environ) != PRESENCE_DENY


@dataclass(slots=True)
class PinToken:
    """The current pinUvAuthToken and what it may be used for."""

    protocol: int
    value: bytes = field(repr=False)
    permissions: int
    rp_id: str | None


@dataclass(slots=True)
class Session:
    """Volatile authenticator state, regenerated at each power-up."""

    key_agreement: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()), repr=False
    )
    token: PinToken | None = None
    consecutive_pin_failures: int = 0

    def regenerate_key_agreement(self) -> None:
        self.key_agreement = ec.generate_private_key(ec.SECP256R1())

    def spend_token(self) -> None:
        """After a touch confirmed a PIN-verified request, the token has done its job.

        CTAP 2.1 clears its permissions then, so that a token seen once cannot
        authorise more credentials or assertions without a new PIN entry.
        """
        if self.token is not None:
            self.token.permissions = 0

    def power_cycle(self) -> None:
        self.regenerate_key_agreement()
        self.token = None
        self.consecutive_pin_failures = 0


@dataclass(slots=True)
class Presence:
    """Asks for a touch during one request, and counts the ones granted."""

    granted: Callable[[], bool]
    event: threading.Event | None = None
    on_keepalive: Callable[[STATUS], None] | None = None

    def confirm(self, box: StateBox) -> None:
        """Wait for the touch; USER_ACTION_TIMEOUT if nobody gives it.

        Refusal is reported as a timeout because that is what an untouched
        key does, and python-fido2 turns it into ClientError.ERR.TIMEOUT.
        """
        if self.event is not None and self.event.is_set():
            raise CtapError(CtapError.ERR.KEEPALIVE_CANCEL)
        if self.on_keepalive is not None:
            self.on_keepalive(STATUS.UPNEEDED)
        if not self.granted():
            cancelled = self.event is not None and self.event.is_set()
            raise CtapError(
                CtapError.ERR.KEEPALIVE_CANCEL if cancelled else CtapError.ERR.USER_ACTION_TIMEOUT
            )
        box.state = replace(box.state, touches=box.state.touches + 1)


@dataclass(frozen=True, slots=True)
class Context:
    """Everything one command may read or change."""

    box: StateBox
    session: Session
    presence: Presence
