"""Whatever arrives over the wire, `call` answers with a CTAP status byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fido2 import cbor
from fido2.ctap import CtapError
from fido2.ctap2.pin import ClientPin
from fido2.hid import CTAPHID
from hypothesis import given
from hypothesis import strategies as st

from secrets_common import SoftAuthenticator
from tests.common.soft_strategies import RP_ID, SoftKey, cbor_values, request_maps

ERR = CtapError.ERR
MAKE_CREDENTIAL, GET_ASSERTION, GET_INFO, CLIENT_PIN = 0x01, 0x02, 0x04, 0x06
COMMANDS = [MAKE_CREDENTIAL, GET_ASSERTION, CLIENT_PIN]


@pytest.fixture(scope="module")
def valid_requests(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[int, Any]]:
    """One well-formed request per command with parameters, for a key of its own."""
    key = SoftKey(tmp_path_factory.mktemp("requests") / "key.json")
    credential_id = key.enroll().credential_id
    agreement = key.ctap2().client_pin(2, ClientPin.CMD.GET_KEY_AGREEMENT)[1]
    descriptor = {"type": "public-key", "id": credential_id}
    return {
        MAKE_CREDENTIAL: {
            1: b"\x00" * 32,
            2: {"id": RP_ID, "name": "Example"},
            3: {"id": b"user", "name": "user"},
            4: [{"type": "public-key", "alg": -7}],
            5: [descriptor],
            6: {"hmac-secret": True},
        },
        GET_ASSERTION: {
            1: RP_ID,
            2: b"\x00" * 32,
            3: [descriptor],
            4: {"hmac-secret": {1: agreement, 2: b"\x00" * 48, 3: b"\x00" * 32, 4: 2}},
        },
        CLIENT_PIN: {
            1: 2,
            2: ClientPin.CMD.SET_PIN,
            3: agreement,
            4: b"\x00" * 32,
            5: b"\x00" * 80,
        },
    }


@pytest.fixture
def device(tmp_path: Path) -> SoftAuthenticator:
    return SoftAuthenticator(tmp_path / "fuzz.json")


def status_of(device: SoftAuthenticator, request: bytes) -> int:
    response = device.call(CTAPHID.CBOR, request)
    assert len(response) >= 1
    status = response[0]
    # OTHER would mean an internal error was papered over.
    assert status != ERR.OTHER
    if status == ERR.SUCCESS and len(response) > 1:
        assert isinstance(cbor.decode(response[1:]), dict)
    else:
        assert len(response) == 1
    return status


@given(request=st.binary(max_size=300))
def test_random_bytes_get_a_status_byte(device: SoftAuthenticator, request: bytes) -> None:
    status_of(device, request)


@given(command=st.sampled_from(COMMANDS), cut=st.integers(min_value=1))
def test_truncated_requests_are_invalid_cbor(
    device: SoftAuthenticator, valid_requests: dict[int, dict[int, Any]], command: int, cut: int
) -> None:
    request = bytes([command]) + cbor.encode(valid_requests[command])
    cut = 1 + cut % (len(request) - 1)
    if cut == 1:
        assert status_of(device, request[:1]) == ERR.MISSING_PARAMETER
    else:
        assert status_of(device, request[:cut]) == ERR.INVALID_CBOR


@given(command=st.sampled_from(COMMANDS), params=request_maps)
def test_random_parameter_maps_get_a_status_byte(
    device: SoftAuthenticator, command: int, params: dict[int, Any]
) -> None:
    status_of(device, bytes([command]) + cbor.encode(params))


@given(command=st.sampled_from(COMMANDS), data=st.data())
def test_one_confused_parameter_never_breaks_the_key(
    device: SoftAuthenticator,
    valid_requests: dict[int, dict[int, Any]],
    command: int,
    data: st.DataObject,
) -> None:
    request = dict(valid_requests[command])
    victim = data.draw(st.sampled_from(sorted(request)))
    request[victim] = data.draw(cbor_values)
    status_of(device, bytes([command]) + cbor.encode(request))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position inside a nested request, for replacing what sits there."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


@given(command=st.sampled_from(COMMANDS), data=st.data())
def test_confusion_deep_inside_a_request_never_breaks_the_key(
    device: SoftAuthenticator,
    valid_requests: dict[int, dict[int, Any]],
    command: int,
    data: st.DataObject,
) -> None:
    request = valid_requests[command]
    path = data.draw(st.sampled_from(_paths(request)))
    mutated = _replaced(request, path, data.draw(cbor_values))
    status_of(device, bytes([command]) + cbor.encode(mutated))


def test_valid_requests_are_understood(
    device: SoftAuthenticator, valid_requests: dict[int, dict[int, Any]]
) -> None:
    # Sanity check for the fuzzing above: the untouched requests get past
    # parsing to a semantic answer (they belong to another key).
    def status(command: int) -> int:
        return status_of(device, bytes([command]) + cbor.encode(valid_requests[command]))

    assert status(MAKE_CREDENTIAL) == ERR.SUCCESS
    assert status(GET_ASSERTION) == ERR.PIN_AUTH_INVALID
    assert status(CLIENT_PIN) == ERR.PIN_AUTH_INVALID


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (b"", ERR.INVALID_LENGTH),
        (b"\x55", ERR.INVALID_COMMAND),
        (b"\x01", ERR.MISSING_PARAMETER),
        (b"\x01" + cbor.encode({}), ERR.MISSING_PARAMETER),
        (b"\x01" + cbor.encode([1, 2]), ERR.CBOR_UNEXPECTED_TYPE),
        (b"\x02" + cbor.encode({1: 5, 2: b"\x00" * 32}), ERR.CBOR_UNEXPECTED_TYPE),
        (b"\x02" + cbor.encode({1: RP_ID}), ERR.MISSING_PARAMETER),
        (b"\x02" + cbor.encode({1: RP_ID, 2: b"\x00" * 32}) + b"\x00", ERR.INVALID_CBOR),
        (b"\x02" + b"\xa1\x01" + b"\x81" * 40 + b"\x00", ERR.INVALID_CBOR),
        (b"\x02\xbf\xff", ERR.INVALID_CBOR),
        (b"\x02\xa1\x01\xf9\x00\x00", ERR.INVALID_CBOR),
        (b"\x02\xa1\x01\x7a\xff\xff\xff\xff", ERR.INVALID_CBOR),
        (b"\x02\xa2\x01\x01\x01\x02", ERR.INVALID_CBOR),
        (b"\x02\xa1\xf5\x01", ERR.CBOR_UNEXPECTED_TYPE),
        (b"\x06" + cbor.encode({1: 2, 2: 0x42}), ERR.INVALID_SUBCOMMAND),
        (b"\x06" + cbor.encode({1: 7, 2: 2}), ERR.INVALID_PARAMETER),
        (b"\x06" + cbor.encode({2: 2}), ERR.MISSING_PARAMETER),
        (b"\x06" + cbor.encode({1: 2, 2: 2}) + b"", ERR.SUCCESS),
        (b"\x06" + cbor.encode({1: 2, 2: 5, 3: {1: 2}, 6: b"\x00" * 32}), ERR.PIN_NOT_SET),
        (
            b"\x06" + cbor.encode({1: 2, 2: 3, 3: {1: 2}, 4: b"\x00" * 32, 5: b"\x00" * 80}),
            ERR.INVALID_PARAMETER,
        ),
        (b"\x08", ERR.NOT_ALLOWED),
        (b"\x02" + cbor.encode({1: RP_ID, 2: b"\x00" * 32, 5: {"rk": True}}), ERR.INVALID_OPTION),
        (
            b"\x01"
            + cbor.encode(
                {
                    1: b"",
                    2: {"id": RP_ID},
                    3: {"id": b"u"},
                    4: [{"type": "public-key", "alg": -257}],
                }
            ),
            ERR.UNSUPPORTED_ALGORITHM,
        ),
        (
            b"\x01"
            + cbor.encode(
                {
                    1: b"",
                    2: {"id": RP_ID},
                    3: {"id": b"u"},
                    4: [{"type": "public-key", "alg": -7}],
                    7: {"rk": True},
                }
            ),
            ERR.UNSUPPORTED_OPTION,
        ),
        (b"\x04" + b"\x00" * 1300, ERR.REQUEST_TOO_LARGE),
    ],
)
def test_malformed_requests_get_the_spec_status(
    device: SoftAuthenticator, request_bytes: bytes, expected: int
) -> None:
    assert status_of(device, request_bytes) == expected


def test_ping_echoes_and_u2f_is_not_spoken(device: SoftAuthenticator) -> None:
    assert device.call(CTAPHID.PING, b"hello") == b"hello"
    with pytest.raises(CtapError) as caught:
        device.call(CTAPHID.MSG, b"\x00\x03\x00\x00")
    assert caught.value.code == ERR.INVALID_COMMAND


def test_get_info_ignores_a_payload(device: SoftAuthenticator) -> None:
    assert status_of(device, bytes([GET_INFO]) + cbor.encode({})) == ERR.SUCCESS


@given(
    subcommand=st.sampled_from([ClientPin.CMD.GET_PIN_RETRIES, ClientPin.CMD.GET_KEY_AGREEMENT]),
    extra=request_maps,
)
def test_requests_answered_without_the_lock_change_no_state(
    device: SoftAuthenticator, subcommand: int, extra: dict[int, Any]
) -> None:
    device.call(CTAPHID.CBOR, bytes([GET_INFO]))  # the key exists from here on
    before = device.path.read_bytes()
    for request in (
        bytes([GET_INFO]),
        bytes([CLIENT_PIN]) + cbor.encode({**extra, 2: subcommand}),
    ):
        status_of(device, request)  # a state changed inside would be refused as an error
    assert device.path.read_bytes() == before
