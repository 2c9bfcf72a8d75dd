"""The software key as a FIDO2 NFC card: the APDUs of CTAP 2.1's NFC binding (11.3).

SELECT of the FIDO AID answers ``FIDO_2_0`` (CTAP2 only, no U2F). NFCCTAP_MSG
carries one CTAP2 request; when the reader allows it (P1 = 0x80) the card
answers 9100 with a status byte while it works or waits for a touch, and the
reader polls with NFCCTAP_GETRESPONSE (P1 = 0x11 cancels). Long commands
arrive chained (CLA bit 0x10) or with extended lengths; long answers leave
as 61XX, fetched with GET RESPONSE.

Leaving the reader's field (power off or reset) forgets everything kept in
RAM, as a real card does: selection, PIN token, key agreement.
"""

from __future__ import annotations

from collections.abc import Callable

from fido2.ctap import STATUS

from secrets_common.soft import apdu
from secrets_common.soft.device import SoftAuthenticator
from secrets_common.soft.job import Job

AID_FIDO = bytes.fromhex("A0000006472F0001")
VERSION = b"FIDO_2_0"

# PC/SC part 3's ATR for an ISO 14443-4 card with no historical bytes, as a
# contactless reader reports it: 3B 8n 80 01 (historical bytes) TCK.
ATR = bytes.fromhex("3B80800101")

INS_SELECT = 0xA4
INS_GET_RESPONSE = 0xC0
CLA_ISO = 0x00
CLA_PROPRIETARY = 0x80
INS_NFCCTAP_MSG = 0x10
INS_NFCCTAP_GETRESPONSE = 0x11
P1_GETRESPONSE_ALLOWED = 0x80
P1_CANCEL = 0x11
SW_UPDATE = 0x9100
"""NFCCTAP's "still working": the data is one status byte (CTAP 2.1 11.3.7)."""

POLL_WAIT = 0.1
"""Seconds a request may run before the card answers 9100 and lets the reader poll."""
CHAIN_LIMIT = 8192
"""Bytes a chained command may add up to (the key accepts far fewer in a request)."""


class FidoCard:
    """The APDU interface of one software key in a reader's field."""

    def __init__(self, open_device: Callable[[], SoftAuthenticator]) -> None:
        """``open_device`` makes the key anew at each power-up."""
        self._open_device = open_device
        self._device: SoftAuthenticator | None = None
        self._selected = False
        self._chain: tuple[tuple[int, int, int, int], bytes] | None = None
        self._unread = b""
        self._job: Job | None = None

    @property
    def atr(self) -> bytes:
        return ATR

    def power_on(self) -> None:
        if self._device is None:
            self._device = self._open_device()

    def power_off(self) -> None:
        """Out of the field: a request still running is cancelled, RAM forgotten."""
        if self._job is not None:
            self._job.cancel()
            self._job.join()
        self._job = None
        self._device = None
        self._selected = False
        self._chain = None
        self._unread = b""

    def reset(self) -> None:
        self.power_off()
        self.power_on()

    def transmit(self, raw: bytes) -> bytes:
        """The response APDU (data + SW1 SW2) to one command APDU."""
        try:
            command = apdu.parse(raw)
        except apdu.MalformedApdu:
            self._chain = None
            return apdu.status(apdu.SW_WRONG_LENGTH)
        if command.header[:2] == (CLA_ISO, INS_GET_RESPONSE):
            return self._get_response(command)
        self._unread = b""
        if command.chained:
            return self._add_to_chain(command)
        if self._chain is not None:
            header, data = self._chain
            self._chain = None
            if header != command.header:
                return apdu.status(apdu.SW_LAST_COMMAND_EXPECTED)
            command = apdu.Command(
                command.cla,
                command.ins,
                command.p1,
                command.p2,
                data + command.data,
                command.ne,
                command.extended,
            )
        return self._dispatch(command)

    def _add_to_chain(self, command: apdu.Command) -> bytes:
        if self._chain is None:
            self._chain = (command.header, command.data)
        else:
            header, data = self._chain
            if header != command.header:
                self._chain = None
                return apdu.status(apdu.SW_LAST_COMMAND_EXPECTED)
            self._chain = (header, data + command.data)
        if len(self._chain[1]) > CHAIN_LIMIT:
            self._chain = None
            return apdu.status(apdu.SW_WRONG_LENGTH)
        return apdu.status(apdu.SW_OK)

    def _dispatch(self, command: apdu.Command) -> bytes:
        cla, ins, p1, _p2 = command.header
        if cla == CLA_ISO and ins == INS_SELECT:
            return self._select(command)
        if cla not in (CLA_ISO, CLA_PROPRIETARY):
            return apdu.status(apdu.SW_CLA_NOT_SUPPORTED)
        if cla == CLA_PROPRIETARY and ins in (INS_NFCCTAP_MSG, INS_NFCCTAP_GETRESPONSE):
            if not self._selected or self._device is None:
                return apdu.status(apdu.SW_CONDITIONS_NOT_SATISFIED)
            if ins == INS_NFCCTAP_MSG:
                return self._message(command, may_poll=bool(p1 & P1_GETRESPONSE_ALLOWED))
            return self._poll(command, cancel=p1 == P1_CANCEL)
        # U2F's instructions among them: this key speaks CTAP2 only.
        return apdu.status(apdu.SW_INS_NOT_SUPPORTED)

    def _select(self, command: apdu.Command) -> bytes:
        if command.p1 != 0x04:
            return apdu.status(apdu.SW_WRONG_P1P2)
        if command.data != AID_FIDO:
            self._selected = False
            return apdu.status(apdu.SW_FILE_NOT_FOUND)
        self.power_on()
        self._selected = True
        return self._answer(VERSION, command.ne)

    def _message(self, command: apdu.Command, *, may_poll: bool) -> bytes:
        if self._job is not None and not self._job.done:
            return apdu.status(apdu.SW_CONDITIONS_NOT_SATISFIED)
        if self._device is None:
            return apdu.status(apdu.SW_CONDITIONS_NOT_SATISFIED)
        self._job = Job(self._device, command.data)
        if not may_poll:
            self._job.wait()
            return self._finish(command.ne)
        return self._progress(command.ne)

    def _poll(self, command: apdu.Command, *, cancel: bool) -> bytes:
        if self._job is None:
            return apdu.status(apdu.SW_CONDITIONS_NOT_SATISFIED)
        if cancel:
            self._job.cancel()
        return self._progress(command.ne)

    def _progress(self, ne: int) -> bytes:
        """9100 and a status byte while the request runs, else its answer."""
        job = self._job
        if job is None:
            return apdu.status(apdu.SW_CONDITIONS_NOT_SATISFIED)
        if job.wait_for_news(POLL_WAIT):
            return apdu.response(bytes([STATUS.UPNEEDED]), SW_UPDATE)
        if not job.done:
            return apdu.response(bytes([job.status]), SW_UPDATE)
        return self._finish(ne)

    def _finish(self, ne: int) -> bytes:
        job = self._job
        if job is None:
            return apdu.status(apdu.SW_CONDITIONS_NOT_SATISFIED)
        self._job = None
        return self._answer(job.response, ne)

    def _answer(self, data: bytes, ne: int) -> bytes:
        """``data`` with 9000, or its first ``ne`` bytes with 61XX and the rest kept."""
        if len(data) <= ne:
            return apdu.response(data, apdu.SW_OK)
        first, self._unread = data[:ne], data[ne:]
        # SW2 says how much is left; 00 stands for 256 or more.
        left = len(self._unread) if len(self._unread) < apdu.SHORT_MAX else 0
        return apdu.response(first, (apdu.SW1_MORE_DATA << 8) | left)

    def _get_response(self, command: apdu.Command) -> bytes:
        if not self._unread:
            return apdu.status(apdu.SW_CONDITIONS_NOT_SATISFIED)
        data, self._unread = self._unread, b""
        return self._answer(data, command.ne)
