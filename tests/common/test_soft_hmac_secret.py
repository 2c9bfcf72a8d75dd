"""hmac-secret through python-fido2's client: the property TokenRing rests on."""

from __future__ import annotations

from pathlib import Path

import pytest
from fido2.client import ClientError
from fido2.ctap2.pin import ClientPin
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.common.soft_strategies import FEW_EXAMPLES, SoftKey, salts

PIN = "4711-pin"


@pytest.fixture
def key(tmp_path: Path) -> SoftKey:
    return SoftKey(tmp_path / "soft" / "key.json")


@pytest.fixture
def pin_key(tmp_path: Path) -> SoftKey:
    soft = SoftKey(tmp_path / "soft" / "pin-key.json", pin=PIN)
    ClientPin(soft.ctap2()).set_pin(PIN)
    return soft


@settings(max_examples=FEW_EXAMPLES)
@given(salt=salts)
def test_outputs_are_32_bytes_and_deterministic(key: SoftKey, salt: bytes) -> None:
    enrolment = key.enroll()
    first, second = key.derive(enrolment.credential_id, salt)
    again, _ = key.derive(enrolment.credential_id, salt)
    assert len(first) == 32
    assert second is None
    assert first == again


@settings(max_examples=FEW_EXAMPLES)
@given(salt_a=salts, salt_b=salts)
def test_outputs_differ_across_salts(key: SoftKey, salt_a: bytes, salt_b: bytes) -> None:
    enrolment = key.enroll()
    out_a, _ = key.derive(enrolment.credential_id, salt_a)
    out_b, _ = key.derive(enrolment.credential_id, salt_b)
    assert (out_a == out_b) == (salt_a == salt_b)


@settings(max_examples=FEW_EXAMPLES)
@given(salt=salts)
def test_outputs_differ_across_credentials(key: SoftKey, salt: bytes) -> None:
    one, two = key.enroll(), key.enroll()
    assert one.credential_id != two.credential_id
    assert key.derive(one.credential_id, salt) != key.derive(two.credential_id, salt)


@settings(max_examples=FEW_EXAMPLES)
@given(salt1=salts, salt2=salts)
def test_two_salts_equal_two_single_salt_assertions(
    key: SoftKey, salt1: bytes, salt2: bytes
) -> None:
    enrolment = key.enroll()
    both = key.derive(enrolment.credential_id, salt1, salt2)
    assert both == (
        key.derive(enrolment.credential_id, salt1)[0],
        key.derive(enrolment.credential_id, salt2)[0],
    )


@settings(max_examples=FEW_EXAMPLES)
@given(salt=salts)
def test_outputs_survive_reopening_the_state_file(key: SoftKey, salt: bytes) -> None:
    enrolment = key.enroll()
    before = key.derive(enrolment.credential_id, salt)
    key.device.close()
    assert key.reopen().derive(enrolment.credential_id, salt) == before


@settings(max_examples=FEW_EXAMPLES)
@given(salt=salts)
def test_outputs_differ_between_uv_modes(pin_key: SoftKey, salt: bytes) -> None:
    enrolment = pin_key.enroll()
    without_uv = pin_key.derive(enrolment.credential_id, salt, uv=False)
    with_uv = pin_key.derive(enrolment.credential_id, salt, uv=True)
    assert without_uv != with_uv
    assert pin_key.derive(enrolment.credential_id, salt, uv=True) == with_uv
    assert pin_key.derive(enrolment.credential_id, salt, uv=False) == without_uv


def test_uv_mode_is_recorded_in_the_assertion_flags(pin_key: SoftKey) -> None:
    enrolment = pin_key.enroll()
    assert not pin_key.authenticate(
        enrolment.credential_id
    ).response.authenticator_data.is_user_verified()
    assert pin_key.authenticate(
        enrolment.credential_id, uv=True
    ).response.authenticator_data.is_user_verified()
    assert pin_key.interaction.pin_requests == 1


@settings(max_examples=FEW_EXAMPLES)
@given(salt1=salts, salt2=salts)
def test_hmac_secret_mc_equals_a_later_assertion_without_uv(
    key: SoftKey, salt1: bytes, salt2: bytes
) -> None:
    enrolment = key.enroll(salt=salt1, salt2=salt2)
    assert enrolment.hmac_enabled
    assert enrolment.mc_outputs == key.derive(enrolment.credential_id, salt1, salt2)


def test_hmac_secret_mc_with_uv_equals_a_later_assertion_with_uv(pin_key: SoftKey) -> None:
    salt = bytes(range(32))
    enrolment = pin_key.enroll(uv=True, salt=salt)
    assert enrolment.mc_outputs == pin_key.derive(enrolment.credential_id, salt, uv=True)
    assert enrolment.mc_outputs != pin_key.derive(enrolment.credential_id, salt, uv=False)


def test_eddsa_credentials_work_too(key: SoftKey) -> None:
    salt = b"\x01" * 32
    enrolment = key.enroll(alg=-8, salt=salt)
    public_key = enrolment.registration.response.attestation_object.auth_data.credential_data
    assert public_key.public_key.ALGORITHM == -8
    assert enrolment.mc_outputs == key.derive(enrolment.credential_id, salt)


def test_credential_without_hmac_secret_yields_no_output(key: SoftKey) -> None:
    enrolment = key.enroll(hmac=False)
    assert not enrolment.hmac_enabled
    response = key.authenticate(enrolment.credential_id, salt1=b"\x02" * 32)
    assert response.client_extension_results.hmac_get_secret is None


def test_credential_of_another_soft_authenticator_is_not_found(tmp_path: Path) -> None:
    mine = SoftKey(tmp_path / "mine.json")
    other = SoftKey(tmp_path / "other.json")
    enrolment = other.enroll()
    with pytest.raises(ClientError) as caught:
        mine.derive(enrolment.credential_id, b"\x03" * 32)
    assert caught.value.code == ClientError.ERR.DEVICE_INELIGIBLE


def test_credential_is_bound_to_its_relying_party(key: SoftKey) -> None:
    enrolment = key.enroll(rp_id="example.com")
    with pytest.raises(ClientError) as caught:
        key.derive(enrolment.credential_id, b"\x04" * 32, rp_id="login.example.com")
    assert caught.value.code == ClientError.ERR.DEVICE_INELIGIBLE


@settings(max_examples=FEW_EXAMPLES)
@given(data=st.data())
def test_same_master_secret_different_credentials_never_collide(
    key: SoftKey, data: st.DataObject
) -> None:
    salt = data.draw(salts)
    outputs = {key.derive(key.enroll().credential_id, salt)[0] for _ in range(3)}
    assert len(outputs) == 3
