"""CTAP2 command dispatch: one request in, one status byte and CBOR out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from fido2 import cbor
from fido2.ctap import CtapError

from secrets_common.soft import params
from secrets_common.soft.capabilities import (
    ALGORITHMS,
    CLIENT_PIN_READ_ONLY,
    CREDENTIAL_ID_LENGTH,
    EXTENSION_HMAC,
    EXTENSION_HMAC_MC,
    MIN_PIN_LENGTH,
    PIN_PROTOCOLS,
)
from secrets_common.soft.cbor import decode_request
from secrets_common.soft.session import Context
from secrets_common.soft.state import DeviceState

MAKE_CREDENTIAL = 0x01
GET_ASSERTION = 0x02
GET_INFO = 0x04
CLIENT_PIN = 0x06
RESET = 0x07
GET_NEXT_ASSERTION = 0x08
SELECTION = 0x0B

MAX_MSG_SIZE = 1200
MAX_CREDS_IN_LIST = 8
FIRMWARE_VERSION = 1

Handler = Callable[[Context, Mapping[int, Any]], dict[int, Any]]


def process(ctx: Context, request: bytes) -> bytes:
    """Run one CTAP2 request (command byte + CBOR); return status + CBOR."""
    try:
        return b"\x00" + _encode(_dispatch(ctx, request))
    except CtapError as error:
        return bytes([error.code & 0xFF])


def changes_nothing(request: bytes) -> bool:
    """Whether ``request`` only reads the state: getInfo, PIN retries, key agreement."""
    if request[:1] == bytes([GET_INFO]):
        return True
    if request[:1] != bytes([CLIENT_PIN]) or len(request) > MAX_MSG_SIZE:
        return False
    try:
        subcommand = params.request_map(decode_request(request[1:])).get(0x02)
    except CtapError:
        return False  # the full path reports it
    return type(subcommand) is int and subcommand in CLIENT_PIN_READ_ONLY


def _dispatch(ctx: Context, request: bytes) -> dict[int, Any]:
    if not request:
        raise CtapError(CtapError.ERR.INVALID_LENGTH)
    if len(request) > MAX_MSG_SIZE:
        raise CtapError(CtapError.ERR.REQUEST_TOO_LARGE)
    command, payload = request[0], request[1:]
    if command in _WITHOUT_PARAMETERS:
        return _WITHOUT_PARAMETERS[command](ctx)
    handler = _handler(command)
    if handler is None:
        raise CtapError(CtapError.ERR.INVALID_COMMAND)
    if not payload:
        raise CtapError(CtapError.ERR.MISSING_PARAMETER)
    return handler(ctx, params.request_map(decode_request(payload)))


def _encode(response: dict[int, Any]) -> bytes:
    return cbor.encode(response) if response else b""


def info(state: DeviceState) -> dict[int, Any]:
    """authenticatorGetInfo's answer for this state."""
    return {
        0x01: ["FIDO_2_0", "FIDO_2_1"],
        0x02: [EXTENSION_HMAC, EXTENSION_HMAC_MC],
        0x03: state.aaguid,
        0x04: {
            "rk": False,
            "up": True,
            "plat": False,
            "clientPin": state.pin_hash is not None,
            "pinUvAuthToken": True,
            "makeCredUvNotRqd": True,
        },
        0x05: MAX_MSG_SIZE,
        0x06: list(PIN_PROTOCOLS),
        0x07: MAX_CREDS_IN_LIST,
        0x08: CREDENTIAL_ID_LENGTH,
        0x0A: [{"type": "public-key", "alg": alg} for alg in ALGORITHMS],
        0x0D: MIN_PIN_LENGTH,
        0x0E: FIRMWARE_VERSION,
    }


def _get_info(ctx: Context) -> dict[int, Any]:
    return info(ctx.box.state)


def _reset(ctx: Context) -> dict[int, Any]:
    # A real key also insists on a fresh power-up; the touch is what matters here.
    ctx.presence.confirm(ctx.box)
    fresh = DeviceState.new()
    ctx.box.state = replace(fresh, aaguid=ctx.box.state.aaguid, touches=ctx.box.state.touches)
    ctx.session.power_cycle()
    return {}


def _selection(ctx: Context) -> dict[int, Any]:
    ctx.presence.confirm(ctx.box)
    return {}


def _get_next_assertion(_ctx: Context) -> dict[int, Any]:
    # Non-resident credentials never yield more than one assertion.
    raise CtapError(CtapError.ERR.NOT_ALLOWED)


_WITHOUT_PARAMETERS: dict[int, Callable[[Context], dict[int, Any]]] = {
    GET_INFO: _get_info,
    RESET: _reset,
    GET_NEXT_ASSERTION: _get_next_assertion,
    SELECTION: _selection,
}


def _handler(command: int) -> Handler | None:
    # Each imported at its first command: getInfo and the PIN retries need
    # none of the credential code.
    if command == CLIENT_PIN:
        from secrets_common.soft.client_pin import client_pin

        return client_pin
    if command == MAKE_CREDENTIAL:
        from secrets_common.soft.make_credential import make_credential

        return make_credential
    if command == GET_ASSERTION:
        from secrets_common.soft.get_assertion import get_assertion

        return get_assertion
    return None
