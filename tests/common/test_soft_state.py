"""The state file, the device surface, and what a relying party can verify."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from fido2.attestation.base import AttestationType
from fido2.attestation.packed import PackedAttestation
from fido2.client import DefaultClientDataCollector, Fido2Client
from fido2.ctap2.base import Ctap2
from fido2.ctap2.pin import ClientPin
from fido2.hid import CAPABILITY
from fido2.server import Fido2Server
from fido2.webauthn import (
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
    UserVerificationRequirement,
)

import secrets_common
from secrets_common.errors import AuthenticatorError
from secrets_common.soft import SoftAuthenticator, SoftStateError, warning_line
from tests.common.soft_strategies import ORIGIN, RP_ID, SoftKey

STATE_FIELDS = {
    "format",
    "kind",
    "aaguid",
    "master_secret",
    "pin_hash",
    "pin_retries",
    "counter",
    "touches",
}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_public_import_is_the_device_class() -> None:
    assert secrets_common.SoftAuthenticator is SoftAuthenticator


def test_constructing_touches_nothing_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep" / "key.json"
    device = SoftAuthenticator(path)
    assert not path.parent.exists()
    assert capsys.readouterr() == ("", "")
    assert device.product_name == f"SoftAuthenticator ({path})"
    assert repr(device) == f"SoftAuthenticator({str(path)!r})"
    assert device.capabilities & CAPABILITY.CBOR
    assert list(SoftAuthenticator.list_devices()) == []


def test_warning_line_names_the_file(tmp_path: Path) -> None:
    line = warning_line(tmp_path / "a.json")
    assert line.startswith("warning: ")
    assert str(tmp_path / "a.json") in line
    assert "not hardware-protected" in line
    assert "\n" not in line


def test_state_file_is_private_and_created_on_first_use(tmp_path: Path) -> None:
    key = SoftKey(tmp_path / "deep" / "key.json")
    key.ctap2()
    assert mode(key.path) == 0o600
    assert mode(key.path.parent) == 0o700
    assert mode(key.path.with_name("key.json.lock")) == 0o600
    assert set(key.state()) == STATE_FIELDS
    assert key.touches() == 0


def test_state_holds_nothing_per_credential(tmp_path: Path) -> None:
    key = SoftKey(tmp_path / "key.json")
    key.enroll()
    size = len(key.path.read_bytes())
    for _ in range(5):
        key.enroll()
    assert len(key.path.read_bytes()) == size
    assert set(key.state()) == STATE_FIELDS


def test_identity_survives_reopening(tmp_path: Path) -> None:
    key = SoftKey(tmp_path / "key.json")
    info = key.ctap2().info
    again = key.reopen().ctap2().info
    assert info.aaguid == again.aaguid
    assert info.versions == ["FIDO_2_0", "FIDO_2_1"]
    assert {"hmac-secret", "hmac-secret-mc"} <= set(info.extensions)
    assert info.pin_uv_protocols == [2, 1]
    assert info.options["up"] is True
    assert info.options["makeCredUvNotRqd"] is True


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"format": 99}',
        b'{"format": 1, "aaguid": "00", "master_secret": "AA=="}',
        b"\xff\xfe",
    ],
)
def test_corrupt_state_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "key.json"
    path.write_bytes(content)
    device = SoftAuthenticator(path)
    with pytest.raises(SoftStateError) as caught:
        Fido2Client(device, client_data_collector=DefaultClientDataCollector(ORIGIN))
    assert isinstance(caught.value, AuthenticatorError)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)
    # The corrupt file is left alone for the user to inspect.
    assert path.read_bytes() == content


def test_bad_field_values_are_reported(tmp_path: Path) -> None:
    key = SoftKey(tmp_path / "key.json")
    key.ctap2()
    state = key.state()
    state["touches"] = -1
    key.path.write_text(json.dumps(state))
    with pytest.raises(SoftStateError, match="touches"):
        key.reopen().ctap2()


def test_relying_party_verifies_registration_and_assertion(tmp_path: Path) -> None:
    key = SoftKey(tmp_path / "key.json", pin="1234")
    ClientPin(key.ctap2()).set_pin("1234")
    server = Fido2Server(PublicKeyCredentialRpEntity(id=RP_ID, name="Example"))
    user = PublicKeyCredentialUserEntity(id=b"user-1", name="user")
    for uv in (UserVerificationRequirement.DISCOURAGED, UserVerificationRequirement.REQUIRED):
        options, state = server.register_begin(user, user_verification=uv)
        registration = key.client().make_credential(options.public_key)
        auth_data = server.register_complete(state, registration)
        attestation = registration.response.attestation_object
        result = PackedAttestation().verify(
            attestation.att_stmt, attestation.auth_data, registration.response.client_data.hash
        )
        assert result.attestation_type == AttestationType.SELF
        credential = auth_data.credential_data
        assert credential is not None
        counters = []
        for _ in range(2):
            request, state = server.authenticate_begin([credential], user_verification=uv)
            assertion = key.client().get_assertion(request.public_key).get_response(0)
            server.authenticate_complete(state, [credential], assertion)
            counters.append(assertion.response.authenticator_data.counter)
        assert counters[0] < counters[1]


def test_get_info_is_answered_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    from filelock import FileLock

    from secrets_common.soft.state import StateFile

    path = tmp_path / "key.json"
    key = SoftAuthenticator(path)
    ClientPin(Ctap2(key)).set_pin("4321")
    before = path.read_bytes()
    holder = FileLock(str(StateFile(path).lock_path), timeout=0)
    holder.acquire()  # another process in the middle of a transaction
    try:
        # Before, this waited 30 s for the lock and then failed as busy.
        assert Ctap2(SoftAuthenticator(path)).get_info().options["clientPin"] is True
    finally:
        holder.release()
    assert path.read_bytes() == before


def test_get_info_of_a_new_key_makes_it_privately(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "key.json"
    info = Ctap2(SoftAuthenticator(path)).get_info()
    assert "hmac-secret" in info.extensions
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
