"""authenticatorGetAssertion (CTAP 2.1, 6.2) over non-resident credentials."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from fido2.ctap import CtapError

from secrets_common.soft import capabilities, credentials, hmac_secret, params
from secrets_common.soft.authdata import authenticator_data
from secrets_common.soft.client_pin import check_pin_uv_auth
from secrets_common.soft.session import PERMISSION_GET_ASSERTION, Context

_RP_ID = 0x01
_CLIENT_DATA_HASH = 0x02
_ALLOW_LIST = 0x03
_EXTENSIONS = 0x04
_OPTIONS = 0x05
_PIN_UV_AUTH_PARAM = 0x06
_PIN_UV_AUTH_PROTOCOL = 0x07

_ERR = CtapError.ERR


def get_assertion(ctx: Context, request: Mapping[int, Any]) -> dict[int, Any]:
    rp_id = params.required(request, _RP_ID, str)
    client_data_hash = params.required(request, _CLIENT_DATA_HASH, bytes)
    allow = params.descriptors(request, _ALLOW_LIST) or []
    extensions = params.text_map(params.optional(request, _EXTENSIONS, dict) or {})
    options = params.options(request, _OPTIONS)
    auth = params.optional(request, _PIN_UV_AUTH_PARAM, bytes)
    version = params.optional(request, _PIN_UV_AUTH_PROTOCOL, int)

    if auth is not None and not auth:
        ctx.presence.confirm(ctx.box)
        raise CtapError(_ERR.PIN_INVALID if ctx.box.state.pin_hash else _ERR.PIN_NOT_SET)
    if "rk" in options:
        raise CtapError(_ERR.INVALID_OPTION)
    up = options.get("up", True)
    if options.get("uv") and auth is None:
        raise CtapError(_ERR.INVALID_OPTION)
    uv = False
    if auth is not None:
        check_pin_uv_auth(ctx, auth, version, client_data_hash, PERMISSION_GET_ASSERTION, rp_id)
        uv = True

    state = ctx.box.state
    rp_id_hash = hashlib.sha256(rp_id.encode("utf-8")).digest()
    found: tuple[bytes, credentials.CredentialKey] | None = None
    for credential_id in allow:
        key = credentials.unwrap(credential_id, state.master_secret, rp_id_hash)
        if key is not None:
            found = credential_id, key
            break

    salts = None
    if capabilities.EXTENSION_HMAC in extensions:
        if not up:
            # hmac-secret outputs are released only to a present user.
            raise CtapError(_ERR.UNSUPPORTED_OPTION)
        salts = hmac_secret.parse(ctx.session, extensions[capabilities.EXTENSION_HMAC])

    if up:
        # Touch before saying "not here", so a page cannot probe silently.
        ctx.presence.confirm(ctx.box)
        if uv:
            ctx.session.spend_token()
    if found is None:
        raise CtapError(_ERR.NO_CREDENTIALS)
    credential_id, key = found

    counter = ctx.box.state.counter + 1
    ctx.box.state = replace(ctx.box.state, counter=counter)
    outputs: dict[str, Any] = {}
    if salts is not None and key.hmac_secret:
        outputs[capabilities.EXTENSION_HMAC] = salts.outputs(key, uv=uv)
    auth_data = authenticator_data(rp_id_hash, up=up, uv=uv, counter=counter, extensions=outputs)
    return {
        1: {"type": "public-key", "id": credential_id},
        2: auth_data,
        3: key.sign(auth_data + client_data_hash),
    }
