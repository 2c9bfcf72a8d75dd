"""python-fido2's exceptions, turned into the toolkit's one-line errors.

python-fido2 reports through ``ClientError`` (often wrapping the key's
``CtapError`` as its ``cause``), ``PinRequiredError``, bare ``CtapError`` from
the protocol layer, and ``OSError`` or ``ConnectionFailure`` from transports.
Every one of them becomes a member of the
:class:`~secrets_common.errors.AuthenticatorError` family here, with a message
that says what to do next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fido2.client import ClientError, PinRequiredError
from fido2.ctap import CtapError
from fido2.hid import ConnectionFailure

from secrets_common.errors import (
    AuthenticatorError,
    PinError,
    PresenceError,
    UnsupportedDeviceError,
    WrongKeyError,
)

_UNSUPPORTED_EXTENSION = 0x16
"""CTAP2.0's CTAP2_ERR_UNSUPPORTED_EXTENSION, which python-fido2 no longer names."""


@dataclass(frozen=True, slots=True)
class Context:
    """What the failed operation was, for the message."""

    authenticator: str
    """The key's label."""
    reason: str
    """What the touch was for ("read 'pypi' / '__token__'")."""
    pin_retries: Callable[[], int | None] = lambda: None
    """Asks the key how many PIN attempts are left (``None`` if it cannot tell)."""
    timed_out: Callable[[], bool] = lambda: False
    """Whether our own presence timeout cancelled the request."""
    timeout: float = 30.0


def translate(error: BaseException, context: Context) -> AuthenticatorError:
    """The toolkit error for a python-fido2 or transport failure."""
    if isinstance(error, AuthenticatorError):
        return error
    if isinstance(error, PinRequiredError):
        return PinError(
            f"{context.authenticator} needs its PIN to {context.reason}, and none was given"
            " (run the command in a terminal to be asked for it)"
        )
    if isinstance(error, ClientError):
        return _from_client_error(error, context)
    if isinstance(error, CtapError):
        return _from_ctap_error(error, context)
    if isinstance(error, (OSError, ConnectionFailure)):
        detail = getattr(error, "strerror", None) or str(error) or type(error).__name__
        return AuthenticatorError(
            f"lost the connection to {context.authenticator} ({detail}): reconnect it and try again"
        )
    return AuthenticatorError(
        f"{context.authenticator} failed unexpectedly ({type(error).__name__}: {error})"
    )


def _from_client_error(error: ClientError, context: Context) -> AuthenticatorError:
    if isinstance(error.cause, CtapError):
        return _from_ctap_error(error.cause, context)
    code = error.code
    if code == ClientError.ERR.TIMEOUT:
        return _presence(context, timed_out=True)
    if code == ClientError.ERR.DEVICE_INELIGIBLE:
        return WrongKeyError(
            f"{context.authenticator} does not hold the credential needed to {context.reason}:"
            " plug in the security key you enrolled"
        )
    if code == ClientError.ERR.CONFIGURATION_UNSUPPORTED:
        cause = str(error.cause or "")
        if "verification" in cause.lower():
            return PinError(
                f"{context.authenticator} has no PIN set, but this credential was enrolled"
                " with one: set the key's PIN again to read it"
            )
        return UnsupportedDeviceError(
            f"{context.authenticator} cannot do what is needed to {context.reason}"
            f" ({cause or 'configuration unsupported'})"
        )
    return AuthenticatorError(
        f"{context.authenticator} rejected the request ({code.name.lower()}"
        f"{': ' + str(error.cause) if error.cause else ''})"
    )


def _presence(context: Context, *, timed_out: bool) -> PresenceError:
    if timed_out or context.timed_out():
        return PresenceError(
            f"{context.authenticator} was not touched within {context.timeout:g} s:"
            f" run the command again and touch the key to {context.reason}"
        )
    return PresenceError(
        f"{context.authenticator} was not touched (presence refused):"
        f" run the command again and touch the key to {context.reason}"
    )


def _from_ctap_error(error: CtapError, context: Context) -> AuthenticatorError:
    code = int(error.code)
    name = context.authenticator
    err = CtapError.ERR
    if code in (err.USER_ACTION_TIMEOUT, err.ACTION_TIMEOUT, err.KEEPALIVE_CANCEL):
        return _presence(context, timed_out=code != err.USER_ACTION_TIMEOUT)
    if code in (err.OPERATION_DENIED, err.UP_REQUIRED):
        return _presence(context, timed_out=False)
    if code == err.PIN_INVALID:
        retries = _safe(context.pin_retries)
        if retries is None:
            return PinError(f"wrong PIN for {name}")
        return PinError(f"wrong PIN for {name} ({retries} attempt{'s' * (retries != 1)} left)")
    if code == err.PIN_BLOCKED:
        return PinError(
            f"the PIN of {name} is blocked after too many wrong attempts:"
            " only resetting the key (which erases its credentials) unblocks it"
        )
    if code == err.PIN_AUTH_BLOCKED:
        return PinError(
            f"too many wrong PINs in a row: unplug {name}, plug it back in and try again"
        )
    if code in (err.PIN_NOT_SET, err.PUAT_REQUIRED):
        return PinError(f"{name} requires its PIN to {context.reason}")
    if code == err.PIN_POLICY_VIOLATION:
        return PinError(f"that PIN does not meet the policy of {name} (too short or too simple)")
    if code in (err.PIN_AUTH_INVALID, err.PIN_TOKEN_EXPIRED):
        return PinError(f"{name} rejected the PIN session: try again")
    if code == err.UV_BLOCKED:
        return PinError(f"built-in user verification of {name} is blocked: use its PIN")
    if code == err.UV_INVALID:
        return PinError(f"{name} could not verify you: try again")
    if code in (err.NO_CREDENTIALS, err.INVALID_CREDENTIAL):
        return WrongKeyError(
            f"{name} does not hold the credential needed to {context.reason}:"
            " plug in the security key you enrolled"
        )
    if code == err.CREDENTIAL_EXCLUDED:
        return WrongKeyError(f"{name} is already enrolled: plug in a different security key")
    if code in (_UNSUPPORTED_EXTENSION, err.UNSUPPORTED_OPTION, err.UNSUPPORTED_ALGORITHM):
        return UnsupportedDeviceError(
            f"{name} does not support what is needed ({_code_name(code)}):"
            " use a FIDO2 key with the hmac-secret extension"
        )
    if code in (err.KEY_STORE_FULL, err.LIMIT_EXCEEDED):
        return AuthenticatorError(f"{name} is full: remove credentials from it and try again")
    return AuthenticatorError(f"{name} failed: {_code_name(code)}")


def _code_name(code: int) -> str:
    if code == _UNSUPPORTED_EXTENSION:
        return "unsupported extension"
    try:
        return CtapError.ERR(code).name.lower().replace("_", " ")
    except ValueError:
        return f"CTAP error 0x{code:02x}"


def _safe(query: Callable[[], int | None]) -> int | None:
    try:
        return query()
    except Exception:  # the count is a courtesy; the wrong PIN is the error
        return None
