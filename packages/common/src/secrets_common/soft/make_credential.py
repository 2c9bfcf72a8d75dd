"""authenticatorMakeCredential (CTAP 2.1, 6.1) for non-resident credentials."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from fido2.ctap import CtapError

from secrets_common.soft import capabilities, credentials, hmac_secret, params
from secrets_common.soft.authdata import attested_credential_data, authenticator_data
from secrets_common.soft.client_pin import check_pin_uv_auth
from secrets_common.soft.session import PERMISSION_MAKE_CREDENTIAL, Context

_CLIENT_DATA_HASH = 0x01
_RP = 0x02
_USER = 0x03
_PUB_KEY_CRED_PARAMS = 0x04
_EXCLUDE_LIST = 0x05
_EXTENSIONS = 0x06
_OPTIONS = 0x07
_PIN_UV_AUTH_PARAM = 0x08
_PIN_UV_AUTH_PROTOCOL = 0x09
_ENTERPRISE_ATTESTATION = 0x0A

_ERR = CtapError.ERR


def make_credential(ctx: Context, request: Mapping[int, Any]) -> dict[int, Any]:
    client_data_hash = params.required(request, _CLIENT_DATA_HASH, bytes)
    rp = params.text_map(params.required(request, _RP, dict))
    rp_id = params.required(rp, "id", str)
    user = params.text_map(params.required(request, _USER, dict))
    params.required(user, "id", bytes)
    alg = _choose_algorithm(params.required(request, _PUB_KEY_CRED_PARAMS, list))
    exclude = params.descriptors(request, _EXCLUDE_LIST) or []
    extensions = params.text_map(params.optional(request, _EXTENSIONS, dict) or {})
    options = params.options(request, _OPTIONS)
    auth = params.optional(request, _PIN_UV_AUTH_PARAM, bytes)
    version = params.optional(request, _PIN_UV_AUTH_PROTOCOL, int)
    if _ENTERPRISE_ATTESTATION in request:
        raise CtapError(_ERR.INVALID_PARAMETER)

    if auth is not None and not auth:
        # A zero-length pinUvAuthParam asks "touch me to select"; CTAP 2.0 style.
        ctx.presence.confirm(ctx.box)
        raise CtapError(_ERR.PIN_INVALID if ctx.box.state.pin_hash else _ERR.PIN_NOT_SET)
    if options.get("rk"):
        raise CtapError(_ERR.UNSUPPORTED_OPTION)
    if options.get("up") is False:
        raise CtapError(_ERR.INVALID_OPTION)
    if options.get("uv") and auth is None:
        # No built-in user verification on this key.
        raise CtapError(_ERR.INVALID_OPTION)
    uv = False
    if auth is not None:
        check_pin_uv_auth(ctx, auth, version, client_data_hash, PERMISSION_MAKE_CREDENTIAL, rp_id)
        uv = True

    state = ctx.box.state
    rp_id_hash = hashlib.sha256(rp_id.encode("utf-8")).digest()
    for credential_id in exclude:
        if credentials.unwrap(credential_id, state.master_secret, rp_id_hash) is not None:
            # A real key asks for the touch first, so a page cannot probe silently.
            ctx.presence.confirm(ctx.box)
            raise CtapError(_ERR.CREDENTIAL_EXCLUDED)

    want_hmac = params.optional(extensions, capabilities.EXTENSION_HMAC, bool) is True
    salts = None
    if want_hmac and capabilities.EXTENSION_HMAC_MC in extensions:
        salts = hmac_secret.parse(ctx.session, extensions[capabilities.EXTENSION_HMAC_MC])

    ctx.presence.confirm(ctx.box)
    if uv:
        ctx.session.spend_token()

    key = credentials.CredentialKey.generate(alg, hmac_secret=want_hmac)
    credential_id = credentials.wrap(key, state.master_secret, rp_id_hash)
    counter = ctx.box.state.counter + 1
    ctx.box.state = replace(ctx.box.state, counter=counter)
    outputs: dict[str, Any] = {}
    if want_hmac:
        outputs[capabilities.EXTENSION_HMAC] = True
        if salts is not None:
            outputs[capabilities.EXTENSION_HMAC_MC] = salts.outputs(key, uv=uv)
    auth_data = authenticator_data(
        rp_id_hash,
        up=True,
        uv=uv,
        counter=counter,
        attested=attested_credential_data(state.aaguid, credential_id, key.cose_public_key()),
        extensions=outputs,
    )
    # Packed self-attestation: signed by the credential key itself.
    signature = key.sign(auth_data + client_data_hash)
    return {1: "packed", 2: auth_data, 3: {"alg": alg, "sig": signature}}


def _choose_algorithm(entries: list[Any]) -> int:
    for entry in entries:
        descriptor = params.text_map(entry)
        kind = params.required(descriptor, "type", str)
        alg = params.required(descriptor, "alg", int)
        if kind == "public-key" and alg in capabilities.ALGORITHMS:
            return alg
    raise CtapError(_ERR.UNSUPPORTED_ALGORITHM)
