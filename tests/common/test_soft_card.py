"""The soft key as an NFC card: python-fido2's CtapPcscDevice APDUs, and bad APDUs."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
from fido2.ctap import STATUS, CtapError
from fido2.ctap2.base import Ctap2
from hypothesis import given
from hypothesis import strategies as st

from secrets_common.soft.card import AID_FIDO, FidoCard
from tests.common.card_reader import card_for, pcsc_device
from tests.common.soft_strategies import SoftKey

SELECT = bytes.fromhex("00A4040008") + AID_FIDO
GET_INFO_MSG = bytes.fromhex("801000000104")  # NFCCTAP_MSG, no polling, getInfo


def sw(answer: bytes) -> int:
    return int.from_bytes(answer[-2:], "big")


def test_select_answers_the_ctap2_version(tmp_path: Path) -> None:
    card = card_for(tmp_path / "key.json")
    card.power_on()
    assert card.transmit(SELECT + b"\x00") == b"FIDO_2_0\x90\x00"


def test_nothing_before_the_fido_applet_is_selected(tmp_path: Path) -> None:
    card = card_for(tmp_path / "key.json")
    card.power_on()
    assert sw(card.transmit(GET_INFO_MSG)) == 0x6985
    other = bytes.fromhex("00A4040007A0000005272101")  # the YubiKey OATH applet
    assert sw(card.transmit(other)) == 0x6A82
    assert sw(card.transmit(GET_INFO_MSG)) == 0x6985


def test_leaving_the_field_forgets_the_selection(tmp_path: Path) -> None:
    card = card_for(tmp_path / "key.json")
    card.power_on()
    card.transmit(SELECT)
    assert sw(card.transmit(GET_INFO_MSG)) == 0x9000
    card.power_off()
    card.power_on()
    assert sw(card.transmit(GET_INFO_MSG)) == 0x6985


def test_u2f_instructions_are_not_offered(tmp_path: Path) -> None:
    card = card_for(tmp_path / "key.json")
    card.power_on()
    card.transmit(SELECT)
    assert card.transmit(bytes.fromhex("0003000000")) == b"\x6d\x00"  # U2F GetVersion


@pytest.mark.parametrize("extended", [False, True], ids=["short-chained", "extended"])
def test_enrol_and_derive_through_python_fido2_apdus(tmp_path: Path, extended: bool) -> None:
    key = SoftKey(tmp_path / "key.json", connect=lambda p: pcsc_device(p, extended=extended)[0])
    enrolment = key.enroll(salt=b"\x01" * 32, salt2=b"\x02" * 32)
    assert enrolment.mc_outputs is not None
    assert key.derive(enrolment.credential_id, b"\x01" * 32, b"\x02" * 32) == (enrolment.mc_outputs)
    assert key.touches() == 2
    # The card asked for each touch with 9100 UPNEEDED: python-fido2 prompted each time.
    assert key.interaction.touch_prompts == 2


def test_long_requests_are_chained_and_long_answers_fetched_with_get_response(
    tmp_path: Path,
) -> None:
    device, reader = pcsc_device(tmp_path / "key.json")
    key = SoftKey(tmp_path / "key.json", connect=lambda _p: device)
    # An exclude list of 8 long IDs makes the request exceed one short APDU.
    others = [SoftKey(tmp_path / f"o{n}.json").enroll().credential_id for n in range(3)]
    enrolment = key.enroll(exclude=others)
    assert any(apdu[0] == 0x90 for apdu in reader.apdus), "no chained NFCCTAP_MSG"
    assert any(answer[-2] == 0x61 for answer in reader.responses), "no 61XX answer"
    assert any(apdu[:2] == b"\x00\xc0" for apdu in reader.apdus), "no GET RESPONSE"
    assert len(enrolment.registration.response.attestation_object) > 256


# clientPIN getPINRetries with protocol 1: {1: 1, 2: 1}
PIN_RETRIES = bytes.fromhex("06a2010102 01".replace(" ", ""))


@given(cuts=st.sets(st.integers(min_value=1, max_value=len(PIN_RETRIES) - 1)))
def test_any_chaining_of_a_request_gets_the_same_answer(tmp_path: Path, cuts: set[int]) -> None:
    card = card_for(tmp_path / "chain.json")
    card.power_on()
    card.transmit(SELECT)
    header = bytes.fromhex("80100000")
    whole = card.transmit(header + bytes([len(PIN_RETRIES)]) + PIN_RETRIES + b"\x00")
    assert sw(whole) == 0x9000
    bounds = [0, *sorted(cuts), len(PIN_RETRIES)]
    pieces = [PIN_RETRIES[a:b] for a, b in itertools.pairwise(bounds)]
    for piece in pieces[:-1]:
        assert card.transmit(b"\x90" + header[1:] + bytes([len(piece)]) + piece) == b"\x90\x00"
    last = pieces[-1]
    assert card.transmit(header + bytes([len(last)]) + last + b"\x00") == whole


@given(ne=st.integers(min_value=1, max_value=256))
def test_an_answer_read_in_pieces_of_any_size_is_whole(tmp_path: Path, ne: int) -> None:
    card = card_for(tmp_path / "pieces.json")
    card.power_on()
    card.transmit(SELECT)
    whole = card.transmit(GET_INFO_MSG + b"\x00")
    card.transmit(SELECT)
    le = bytes([ne % 256])
    answer = card.transmit(GET_INFO_MSG + le)
    data = answer[:-2]
    while answer[-2] == 0x61:
        assert len(answer) - 2 == ne
        answer = card.transmit(bytes.fromhex("00C00000") + le)
        data += answer[:-2]
    assert data + answer[-2:] == whole


@given(raw=st.binary(max_size=300))
def test_any_bytes_get_a_status_word_and_the_card_keeps_working(tmp_path: Path, raw: bytes) -> None:
    card = card_for(tmp_path / "fuzz.json")
    card.power_on()
    card.transmit(SELECT)
    answer = card.transmit(raw)
    assert len(answer) >= 2
    card.transmit(SELECT)
    assert sw(card.transmit(GET_INFO_MSG + b"\x00")) == 0x9000


def test_a_chain_broken_by_another_command_is_refused(tmp_path: Path) -> None:
    card = card_for(tmp_path / "key.json")
    card.power_on()
    card.transmit(SELECT)
    assert sw(card.transmit(bytes.fromhex("901000000104"))) == 0x9000
    assert sw(card.transmit(bytes.fromhex("00A4040008") + AID_FIDO)) == 0x6883


def test_malformed_lengths_are_6700(tmp_path: Path) -> None:
    card = card_for(tmp_path / "key.json")
    card.power_on()
    card.transmit(SELECT)
    assert sw(card.transmit(bytes.fromhex("8010000005040000"))) == 0x6700
    assert sw(card.transmit(bytes.fromhex("8010000000000501"))) == 0x6700
    assert sw(card.transmit(b"\x80\x10")) == 0x6700


def test_a_touch_never_given_is_cancelled_by_the_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NFCCTAP_GETRESPONSE with P1 = 0x11 ends the wait with KEEPALIVE_CANCEL."""
    key = SoftKey(tmp_path / "key.json", connect=lambda p: pcsc_device(p)[0])
    key.enroll()
    monkeypatch.setenv("SECRETS_SOFT_PRESENCE", "after:3600")
    card: FidoCard = card_for(key.path)
    card.power_on()
    card.transmit(SELECT)
    request = Ctap2.CMD.SELECTION.to_bytes(1, "big")
    answer = card.transmit(bytes.fromhex("80108000") + bytes([len(request)]) + request + b"\x00")
    # STATUS_PROCESSING (01) first only on a slow machine; then UPNEEDED (02).
    for _poll in range(600):
        if answer != b"\x01\x91\x00":
            break
        answer = card.transmit(bytes.fromhex("8011000000"))
    assert answer == b"\x02\x91\x00"  # waiting for the touch: STATUS_UPNEEDED
    answer = card.transmit(bytes.fromhex("8011110000"))
    for _poll in range(600):
        if sw(answer) != 0x9100:
            break
        answer = card.transmit(bytes.fromhex("8011000000"))
    assert answer == bytes([CtapError.ERR.KEEPALIVE_CANCEL]) + b"\x90\x00"
    assert key.touches() == 1


def test_python_fido2_cancels_through_the_card_when_its_event_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRETS_SOFT_PRESENCE", "after:3600")
    device, _reader = pcsc_device(tmp_path / "key.json")
    cancelled = threading.Event()
    seen: list[int] = []

    def keepalive(status: int) -> None:
        seen.append(status)
        if status == STATUS.UPNEEDED:
            cancelled.set()  # as the key source's presence timeout does, once it waits

    with pytest.raises(CtapError) as caught:
        Ctap2(device).selection(event=cancelled, on_keepalive=keepalive)
    assert caught.value.code == CtapError.ERR.KEEPALIVE_CANCEL
    assert seen[-1] == STATUS.UPNEEDED  # after STATUS_PROCESSING only on a slow machine
    assert SoftKey(tmp_path / "key.json").touches() == 0
