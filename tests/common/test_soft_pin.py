"""ClientPIN with PIN/UV auth protocols 1 and 2, through python-fido2."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from fido2.client import ClientError
from fido2.ctap import CtapError
from fido2.ctap2.extensions import Ctap2Extension, HmacSecretExtension
from fido2.ctap2.pin import ClientPin, PinProtocol, PinProtocolV1, PinProtocolV2
from fido2.webauthn import (
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRequestOptions,
    PublicKeyCredentialType,
)
from hypothesis import given, settings

from tests.common.soft_strategies import FEW_EXAMPLES, RP_ID, SoftKey, pins

PIN = "correct horse"
WRONG = "wrong horse"
PROTOCOLS = [pytest.param(PinProtocolV1, id="v1"), pytest.param(PinProtocolV2, id="v2")]


def client_pin(key: SoftKey, protocol: type[PinProtocol]) -> ClientPin:
    return ClientPin(key.ctap2(), protocol())


def error_of(caught: pytest.ExceptionInfo[CtapError]) -> CtapError.ERR:
    return caught.value.code


@pytest.fixture
def key(tmp_path: Path) -> SoftKey:
    return SoftKey(tmp_path / "key.json", pin=PIN)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_set_pin_then_get_a_token(key: SoftKey, protocol: type[PinProtocol]) -> None:
    assert key.ctap2().info.options["clientPin"] is False
    pin = client_pin(key, protocol)
    pin.set_pin(PIN)
    assert key.ctap2().info.options["clientPin"] is True
    token = pin.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION, RP_ID)
    assert len(token) == 32
    assert pin.get_pin_retries()[0] == 8
    # Only the truncated hash of the PIN is stored, never the PIN.
    text = key.path.read_text()
    assert PIN not in text
    assert key.state()["pin_hash"] is not None


@settings(max_examples=FEW_EXAMPLES)
@given(new_pin=pins)
def test_any_pin_of_four_code_points_can_be_set_and_used(tmp_path: Path, new_pin: str) -> None:
    path = tmp_path / f"{hashlib.sha256(new_pin.encode()).hexdigest()}.json"
    soft = SoftKey(path, pin=new_pin)
    ClientPin(soft.ctap2()).set_pin(new_pin)
    assert ClientPin(soft.ctap2()).get_pin_token(new_pin)


def test_setting_a_pin_twice_is_not_allowed(key: SoftKey) -> None:
    pin = ClientPin(key.ctap2())
    pin.set_pin(PIN)
    with pytest.raises(CtapError) as caught:
        pin.set_pin("another pin")
    assert error_of(caught) == CtapError.ERR.NOT_ALLOWED


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    ("padded", "expected"),
    [
        (b"abc".ljust(64, b"\x00"), CtapError.ERR.PIN_POLICY_VIOLATION),
        (b"x" * 64, CtapError.ERR.PIN_POLICY_VIOLATION),
        (b"\xff\xfe\xfd\xfc".ljust(64, b"\x00"), CtapError.ERR.PIN_POLICY_VIOLATION),
        (b"good pin".ljust(32, b"\x00"), CtapError.ERR.INVALID_PARAMETER),
        (b"good pin".ljust(80, b"\x00"), CtapError.ERR.INVALID_PARAMETER),
    ],
)
def test_bad_new_pins_are_refused(
    key: SoftKey, protocol: type[PinProtocol], padded: bytes, expected: CtapError.ERR
) -> None:
    # python-fido2 refuses such PINs itself, so build setPIN by hand.
    ctap = key.ctap2()
    proto = protocol()
    agreement = ctap.client_pin(proto.VERSION, ClientPin.CMD.GET_KEY_AGREEMENT)[1]
    key_agreement, shared = proto.encapsulate(agreement)
    new_pin_enc = proto.encrypt(shared, padded)
    with pytest.raises(CtapError) as caught:
        ctap.client_pin(
            proto.VERSION,
            ClientPin.CMD.SET_PIN,
            key_agreement=key_agreement,
            new_pin_enc=new_pin_enc,
            pin_uv_param=proto.authenticate(shared, new_pin_enc),
        )
    assert error_of(caught) == expected
    assert key.ctap2().info.options["clientPin"] is False


def test_set_pin_with_a_bad_mac_is_refused(key: SoftKey) -> None:
    ctap = key.ctap2()
    proto: PinProtocol = PinProtocolV2()
    agreement = ctap.client_pin(proto.VERSION, ClientPin.CMD.GET_KEY_AGREEMENT)[1]
    key_agreement, shared = proto.encapsulate(agreement)
    new_pin_enc = proto.encrypt(shared, b"good pin".ljust(64, b"\x00"))
    with pytest.raises(CtapError) as caught:
        ctap.client_pin(
            proto.VERSION,
            ClientPin.CMD.SET_PIN,
            key_agreement=key_agreement,
            new_pin_enc=new_pin_enc,
            pin_uv_param=b"\x00" * 32,
        )
    assert error_of(caught) == CtapError.ERR.PIN_AUTH_INVALID


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_wrong_pins_count_down_and_block(key: SoftKey, protocol: type[PinProtocol]) -> None:
    client_pin(key, protocol).set_pin(PIN)
    expected_retries = 8
    soft = key
    codes = []
    # Three wrong PINs in a row need a power cycle: a new authenticator object.
    for _ in range(3):
        pin = client_pin(soft, protocol)
        for _ in range(3):
            if expected_retries == 0:
                break
            with pytest.raises(CtapError) as caught:
                pin.get_pin_token(WRONG)
            expected_retries -= 1
            codes.append(error_of(caught))
            assert pin.get_pin_retries()[0] == expected_retries
        soft = soft.reopen()
    assert codes == [
        CtapError.ERR.PIN_INVALID,
        CtapError.ERR.PIN_INVALID,
        CtapError.ERR.PIN_AUTH_BLOCKED,
    ] * 2 + [CtapError.ERR.PIN_INVALID, CtapError.ERR.PIN_BLOCKED]
    with pytest.raises(CtapError) as caught:
        client_pin(soft, protocol).get_pin_token(PIN)
    assert error_of(caught) == CtapError.ERR.PIN_BLOCKED


def test_pin_auth_blocked_until_power_cycle(key: SoftKey) -> None:
    ClientPin(key.ctap2()).set_pin(PIN)
    pin = ClientPin(key.ctap2())
    for _ in range(3):
        with pytest.raises(CtapError):
            pin.get_pin_token(WRONG)
    retries, power_cycle = pin.get_pin_retries()
    assert (retries, power_cycle) == (5, True)
    with pytest.raises(CtapError) as caught:
        pin.get_pin_token(PIN)
    assert error_of(caught) == CtapError.ERR.PIN_AUTH_BLOCKED
    # The refused attempt spent no retry; after a replug the right PIN works.
    replugged = ClientPin(key.reopen().ctap2())
    assert replugged.get_pin_retries() == (5, False)
    assert replugged.get_pin_token(PIN)
    assert replugged.get_pin_retries()[0] == 8


def test_wrong_pin_through_the_client_is_a_bad_request(key: SoftKey) -> None:
    ClientPin(key.ctap2()).set_pin(PIN)
    enrolment = key.enroll()
    wrong = SoftKey(key.path, pin=WRONG)
    with pytest.raises(ClientError) as caught:
        wrong.derive(enrolment.credential_id, b"\x01" * 32, uv=True)
    assert caught.value.code == ClientError.ERR.BAD_REQUEST
    assert isinstance(caught.value.cause, CtapError)
    assert caught.value.cause.code == CtapError.ERR.PIN_INVALID
    assert ClientPin(key.ctap2()).get_pin_retries()[0] == 7


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_change_pin(key: SoftKey, protocol: type[PinProtocol]) -> None:
    client_pin(key, protocol).set_pin(PIN)
    salt = b"\x05" * 32
    enrolment = key.enroll()
    with_uv = key.derive(enrolment.credential_id, salt, uv=True)
    client_pin(key, protocol).change_pin(PIN, "a new pin")
    with pytest.raises(CtapError) as caught:
        client_pin(key, protocol).get_pin_token(PIN)
    assert error_of(caught) == CtapError.ERR.PIN_INVALID
    changed = SoftKey(key.path, pin="a new pin")
    # Changing the PIN keeps CredRandomWithUV: derived keys stay the same.
    assert changed.derive(enrolment.credential_id, salt, uv=True) == with_uv


def test_change_pin_with_wrong_old_pin_spends_a_retry(key: SoftKey) -> None:
    ClientPin(key.ctap2()).set_pin(PIN)
    with pytest.raises(CtapError) as caught:
        ClientPin(key.ctap2()).change_pin(WRONG, "a new pin")
    assert error_of(caught) == CtapError.ERR.PIN_INVALID
    assert ClientPin(key.ctap2()).get_pin_retries()[0] == 7
    assert ClientPin(key.ctap2()).get_pin_token(PIN)


def test_change_pin_without_a_pin_is_pin_not_set(key: SoftKey) -> None:
    with pytest.raises(CtapError) as caught:
        ClientPin(key.ctap2()).change_pin(PIN, "a new pin")
    assert error_of(caught) == CtapError.ERR.PIN_NOT_SET


def test_token_is_bound_to_its_relying_party(key: SoftKey) -> None:
    ClientPin(key.ctap2()).set_pin(PIN)
    enrolment = key.enroll(rp_id="login.example.com")
    pin = ClientPin(key.ctap2())
    token = pin.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION, RP_ID)
    client_data_hash = b"\x00" * 32
    with pytest.raises(CtapError) as caught:
        key.ctap2().get_assertion(
            "login.example.com",
            client_data_hash,
            [{"type": "public-key", "id": enrolment.credential_id}],
            pin_uv_param=pin.protocol.authenticate(token, client_data_hash),
            pin_uv_protocol=pin.protocol.VERSION,
        )
    assert error_of(caught) == CtapError.ERR.PIN_AUTH_INVALID


def test_token_without_permission_is_refused(key: SoftKey) -> None:
    ClientPin(key.ctap2()).set_pin(PIN)
    enrolment = key.enroll()
    pin = ClientPin(key.ctap2())
    token = pin.get_pin_token(PIN, ClientPin.PERMISSION.MAKE_CREDENTIAL, RP_ID)
    client_data_hash = b"\x00" * 32
    with pytest.raises(CtapError) as caught:
        key.ctap2().get_assertion(
            RP_ID,
            client_data_hash,
            [{"type": "public-key", "id": enrolment.credential_id}],
            pin_uv_param=pin.protocol.authenticate(token, client_data_hash),
            pin_uv_protocol=pin.protocol.VERSION,
        )
    assert error_of(caught) == CtapError.ERR.PIN_AUTH_INVALID


def test_unsupported_permissions_are_unauthorized(key: SoftKey) -> None:
    ClientPin(key.ctap2()).set_pin(PIN)
    with pytest.raises(CtapError) as caught:
        ClientPin(key.ctap2()).get_pin_token(PIN, ClientPin.PERMISSION.CREDENTIAL_MGMT)
    assert error_of(caught) == CtapError.ERR.UNAUTHORIZED_PERMISSION


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("uv", [False, True])
def test_hmac_secret_over_either_protocol_gives_the_same_output(
    key: SoftKey, protocol: type[PinProtocol], uv: bool
) -> None:
    ClientPin(key.ctap2()).set_pin(PIN)
    salt1, salt2 = b"\x06" * 32, b"\x07" * 32
    enrolment = key.enroll()
    expected = key.derive(enrolment.credential_id, salt1, salt2, uv=uv)
    # Drive python-fido2's hmac-secret extension with an explicitly chosen
    # protocol (the client itself always picks the newest).
    ctap = key.ctap2()
    proto = protocol()
    options = PublicKeyCredentialRequestOptions(
        challenge=b"\x00" * 16,
        rp_id=RP_ID,
        allow_credentials=[
            PublicKeyCredentialDescriptor(
                type=PublicKeyCredentialType.PUBLIC_KEY, id=enrolment.credential_id
            )
        ],
        extensions={"hmacGetSecret": {"salt1": salt1, "salt2": salt2}},
    )
    extension: Ctap2Extension = HmacSecretExtension(allow_hmac_secret=True)  # type: ignore[no-untyped-call]
    processor = extension.get_assertion(ctap, options, proto)
    assert processor is not None
    pin_token = None
    pin_uv_param = None
    if uv:
        pin_token = ClientPin(ctap, proto).get_pin_token(
            PIN, ClientPin.PERMISSION.GET_ASSERTION, RP_ID
        )
        pin_uv_param = proto.authenticate(pin_token, b"\x00" * 32)
    descriptor = options.allow_credentials[0] if options.allow_credentials else None
    inputs = processor.prepare_inputs(descriptor, pin_token)
    response = ctap.get_assertion(
        RP_ID,
        b"\x00" * 32,
        [{"type": "public-key", "id": enrolment.credential_id}],
        extensions=inputs,
        pin_uv_param=pin_uv_param,
        pin_uv_protocol=proto.VERSION if uv else None,
    )
    outputs = processor.prepare_outputs(response, pin_token)
    assert outputs is not None
    secret = outputs["hmacGetSecret"]
    assert (secret.output1, secret.output2) == expected


def test_reset_clears_pin_and_forgets_credentials(key: SoftKey) -> None:
    ClientPin(key.ctap2()).set_pin(PIN)
    enrolment = key.enroll()
    touches = key.touches()
    aaguid = key.ctap2().info.aaguid
    key.ctap2().reset()
    assert key.touches() == touches + 1
    info = key.ctap2().info
    assert info.options["clientPin"] is False
    assert info.aaguid == aaguid
    fresh = SoftKey(key.path)
    with pytest.raises(ClientError) as caught:
        fresh.derive(enrolment.credential_id, b"\x01" * 32)
    assert caught.value.code == ClientError.ERR.DEVICE_INELIGIBLE


def test_token_is_spent_by_a_touched_assertion_but_not_by_a_probe(key: SoftKey) -> None:
    ClientPin(key.ctap2()).set_pin(PIN)
    enrolment = key.enroll()
    ctap = key.ctap2()
    pin = ClientPin(ctap)
    token = pin.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION, RP_ID)
    client_data_hash = b"\x00" * 32
    allow: list[Mapping[str, Any]] = [{"type": "public-key", "id": enrolment.credential_id}]
    auth = pin.protocol.authenticate(token, client_data_hash)

    def assertion(up: bool) -> bool:
        response = ctap.get_assertion(
            RP_ID,
            client_data_hash,
            allow,
            options={"up": up},
            pin_uv_param=auth,
            pin_uv_protocol=pin.protocol.VERSION,
        )
        return response.auth_data.is_user_verified()

    assert assertion(up=False)
    assert assertion(up=False)
    assert assertion(up=True)
    with pytest.raises(CtapError) as caught:
        assertion(up=True)
    assert error_of(caught) == CtapError.ERR.PIN_AUTH_INVALID


def test_pin_set_after_enrolment_keeps_the_keys_without_uv(key: SoftKey) -> None:
    salt = b"\x09" * 32
    enrolment = key.enroll(salt=salt)
    assert enrolment.mc_outputs is not None
    ClientPin(key.ctap2()).set_pin(PIN)
    assert key.reopen().derive(enrolment.credential_id, salt) == enrolment.mc_outputs
    ClientPin(key.ctap2()).change_pin(PIN, "yet another pin")
    assert key.reopen().derive(enrolment.credential_id, salt) == enrolment.mc_outputs
