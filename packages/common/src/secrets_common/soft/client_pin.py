"""authenticatorClientPIN (CTAP 2.1, 6.5) and the pinUvAuthParam check.

The PIN itself is never stored: only LEFT(SHA-256(PIN), 16), as on a real
key. Retries survive power cycles (they live in the state file); the count
of wrong PINs in a row lives in the session, so that after three the key
must be "unplugged" (a new SoftAuthenticator object) before trying again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from fido2.ctap import CtapError

from secrets_common.soft import capabilities, params
from secrets_common.soft.pin import PinProtocol, cose_public_key, protocol
from secrets_common.soft.session import (
    CONSECUTIVE_PIN_FAILURES_MAX,
    PERMISSION_GET_ASSERTION,
    PERMISSION_MAKE_CREDENTIAL,
    SUPPORTED_PERMISSIONS,
    Context,
    PinToken,
)
from secrets_common.soft.state import PIN_RETRIES_MAX

MAX_PIN_BYTES = 63
PADDED_PIN_LENGTH = 64

# Parameter keys of authenticatorClientPIN.
_PROTOCOL = 0x01
_SUBCOMMAND = 0x02
_KEY_AGREEMENT = 0x03
_PIN_UV_AUTH_PARAM = 0x04
_NEW_PIN_ENC = 0x05
_PIN_HASH_ENC = 0x06
_PERMISSIONS = 0x09
_RP_ID = 0x0A

# Response keys.
_R_KEY_AGREEMENT = 0x01
_R_TOKEN = 0x02
_R_RETRIES = 0x03
_R_POWER_CYCLE = 0x04

_ERR = CtapError.ERR


def client_pin(ctx: Context, request: Mapping[int, Any]) -> dict[int, Any]:
    subcommand = params.required(request, _SUBCOMMAND, int)
    handler = _SUBCOMMANDS.get(subcommand)
    if handler is None:
        raise CtapError(_ERR.INVALID_SUBCOMMAND)
    return handler(ctx, request)


def _get_retries(ctx: Context, request: Mapping[int, Any]) -> dict[int, Any]:
    if _PROTOCOL in request:
        protocol(request[_PROTOCOL])
    return {
        _R_RETRIES: ctx.box.state.pin_retries,
        _R_POWER_CYCLE: ctx.session.consecutive_pin_failures >= CONSECUTIVE_PIN_FAILURES_MAX,
    }


def _get_key_agreement(ctx: Context, request: Mapping[int, Any]) -> dict[int, Any]:
    protocol(params.required(request, _PROTOCOL, int))
    return {_R_KEY_AGREEMENT: cose_public_key(ctx.session.key_agreement)}


def _set_pin(ctx: Context, request: Mapping[int, Any]) -> dict[int, Any]:
    proto = protocol(params.required(request, _PROTOCOL, int))
    peer = params.required(request, _KEY_AGREEMENT, dict)
    auth = params.required(request, _PIN_UV_AUTH_PARAM, bytes)
    new_pin_enc = params.required(request, _NEW_PIN_ENC, bytes)
    if ctx.box.state.pin_hash is not None:
        raise CtapError(_ERR.NOT_ALLOWED)
    shared = proto.shared_secret(ctx.session.key_agreement, peer)
    if not proto.verify(shared, new_pin_enc, auth):
        raise CtapError(_ERR.PIN_AUTH_INVALID)
    pin_hash = _new_pin_hash(proto, shared, new_pin_enc)
    ctx.box.state = replace(ctx.box.state, pin_hash=pin_hash, pin_retries=PIN_RETRIES_MAX)
    return {}


def _change_pin(ctx: Context, request: Mapping[int, Any]) -> dict[int, Any]:
    proto = protocol(params.required(request, _PROTOCOL, int))
    peer = params.required(request, _KEY_AGREEMENT, dict)
    auth = params.required(request, _PIN_UV_AUTH_PARAM, bytes)
    new_pin_enc = params.required(request, _NEW_PIN_ENC, bytes)
    pin_hash_enc = params.required(request, _PIN_HASH_ENC, bytes)
    _check_pin_usable(ctx)
    shared = proto.shared_secret(ctx.session.key_agreement, peer)
    if not proto.verify(shared, new_pin_enc + pin_hash_enc, auth):
        raise CtapError(_ERR.PIN_AUTH_INVALID)
    _check_pin_hash(ctx, proto, shared, pin_hash_enc)
    pin_hash = _new_pin_hash(proto, shared, new_pin_enc)
    ctx.box.state = replace(ctx.box.state, pin_hash=pin_hash)
    # A new PIN invalidates every token handed out under the old one.
    ctx.session.token = None
    return {}


def _get_pin_token(ctx: Context, request: Mapping[int, Any]) -> dict[int, Any]:
    if _PERMISSIONS in request or _RP_ID in request:
        raise CtapError(_ERR.INVALID_PARAMETER)
    return _issue_token(ctx, request, PERMISSION_MAKE_CREDENTIAL | PERMISSION_GET_ASSERTION, None)


def _get_token_with_permissions(ctx: Context, request: Mapping[int, Any]) -> dict[int, Any]:
    params.required(request, _PROTOCOL, int)
    params.required(request, _KEY_AGREEMENT, dict)
    params.required(request, _PIN_HASH_ENC, bytes)
    permissions = params.required(request, _PERMISSIONS, int)
    rp_id = params.optional(request, _RP_ID, str)
    protocol(request[_PROTOCOL])
    if permissions <= 0:
        raise CtapError(_ERR.INVALID_PARAMETER)
    if permissions & ~SUPPORTED_PERMISSIONS:
        raise CtapError(_ERR.UNAUTHORIZED_PERMISSION)
    return _issue_token(ctx, request, permissions, rp_id)


def _issue_token(
    ctx: Context, request: Mapping[int, Any], permissions: int, rp_id: str | None
) -> dict[int, Any]:
    proto = protocol(params.required(request, _PROTOCOL, int))
    peer = params.required(request, _KEY_AGREEMENT, dict)
    pin_hash_enc = params.required(request, _PIN_HASH_ENC, bytes)
    _check_pin_usable(ctx)
    shared = proto.shared_secret(ctx.session.key_agreement, peer)
    _check_pin_hash(ctx, proto, shared, pin_hash_enc)
    token = os.urandom(32)
    ctx.session.token = PinToken(
        protocol=proto.version, value=token, permissions=permissions, rp_id=rp_id
    )
    return {_R_TOKEN: proto.encrypt(shared, token)}


def _check_pin_usable(ctx: Context) -> None:
    if ctx.box.state.pin_hash is None:
        raise CtapError(_ERR.PIN_NOT_SET)
    if ctx.box.state.pin_retries == 0:
        raise CtapError(_ERR.PIN_BLOCKED)
    if ctx.session.consecutive_pin_failures >= CONSECUTIVE_PIN_FAILURES_MAX:
        raise CtapError(_ERR.PIN_AUTH_BLOCKED)


def _check_pin_hash(ctx: Context, proto: PinProtocol, shared: bytes, pin_hash_enc: bytes) -> None:
    """Spend a retry, then give it back only if the PIN hash matches."""
    state = ctx.box.state
    ctx.box.state = replace(state, pin_retries=state.pin_retries - 1)
    try:
        given = proto.decrypt(shared, pin_hash_enc)
    except CtapError:
        given = b""
    stored = state.pin_hash or b""
    if len(given) == len(stored) and hmac.compare_digest(given, stored):
        ctx.box.state = replace(ctx.box.state, pin_retries=PIN_RETRIES_MAX)
        ctx.session.consecutive_pin_failures = 0
        return
    ctx.session.regenerate_key_agreement()
    ctx.session.consecutive_pin_failures += 1
    if ctx.box.state.pin_retries == 0:
        raise CtapError(_ERR.PIN_BLOCKED)
    if ctx.session.consecutive_pin_failures >= CONSECUTIVE_PIN_FAILURES_MAX:
        raise CtapError(_ERR.PIN_AUTH_BLOCKED)
    raise CtapError(_ERR.PIN_INVALID)


def _new_pin_hash(proto: PinProtocol, shared: bytes, new_pin_enc: bytes) -> bytes:
    try:
        padded = proto.decrypt(shared, new_pin_enc)
    except CtapError:
        raise CtapError(_ERR.PIN_AUTH_INVALID) from None
    if len(padded) != PADDED_PIN_LENGTH:
        raise CtapError(_ERR.INVALID_PARAMETER)
    pin = padded.split(b"\x00", 1)[0]
    try:
        code_points = len(pin.decode("utf-8"))
    except UnicodeDecodeError:
        raise CtapError(_ERR.PIN_POLICY_VIOLATION) from None
    if code_points < capabilities.MIN_PIN_LENGTH or len(pin) > MAX_PIN_BYTES:
        raise CtapError(_ERR.PIN_POLICY_VIOLATION)
    return hashlib.sha256(pin).digest()[:16]


def check_pin_uv_auth(
    ctx: Context,
    auth: bytes,
    version: int | None,
    client_data_hash: bytes,
    permission: int,
    rp_id: str,
) -> None:
    """Verify a request's pinUvAuthParam against the current token.

    Success means user verification happened for this request.
    """
    if version is None:
        raise CtapError(_ERR.MISSING_PARAMETER)
    proto = protocol(version)
    if ctx.box.state.pin_hash is None:
        raise CtapError(_ERR.PIN_NOT_SET)
    token = ctx.session.token
    if token is None or token.protocol != proto.version:
        raise CtapError(_ERR.PIN_AUTH_INVALID)
    if not proto.verify(token.value, client_data_hash, auth):
        raise CtapError(_ERR.PIN_AUTH_INVALID)
    if not token.permissions & permission:
        raise CtapError(_ERR.PIN_AUTH_INVALID)
    if token.rp_id is None:
        token.rp_id = rp_id
    elif token.rp_id != rp_id:
        raise CtapError(_ERR.PIN_AUTH_INVALID)


_SUBCOMMANDS = {
    0x01: _get_retries,
    0x02: _get_key_agreement,
    0x03: _set_pin,
    0x04: _change_pin,
    0x05: _get_pin_token,
    0x09: _get_token_with_permissions,
}
