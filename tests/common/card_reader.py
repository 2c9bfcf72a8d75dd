"""A card reader in the test process: python-fido2's CtapPcscDevice on the FidoCard.

``CardInReader`` offers what CtapPcscDevice uses of a pyscard CardConnection
(connect, transmit, getATR, disconnect) and hands every APDU to the card as
pcscd would, so that python-fido2's own APDU code (chaining, extended
lengths, GET RESPONSE, NFCCTAP polling) runs without pcscd. The tests over
the real pcscd are in test_transport_pcscd.py.
"""

from __future__ import annotations

from pathlib import Path

from fido2.pcsc import CtapPcscDevice

from secrets_common.soft import SoftAuthenticator
from secrets_common.soft.card import FidoCard


class CardInReader:
    def __init__(self, card: FidoCard) -> None:
        self.card = card
        self.apdus: list[bytes] = []
        self.responses: list[bytes] = []

    def connect(self) -> None:
        self.card.power_on()

    def disconnect(self) -> None:
        self.card.power_off()

    def getATR(self) -> list[int]:  # pyscard's name
        return list(self.card.atr)

    def transmit(self, apdu: list[int], protocol: int | None = None) -> tuple[list[int], int, int]:
        del protocol
        self.apdus.append(bytes(apdu))
        answer = self.card.transmit(bytes(apdu))
        self.responses.append(answer)
        return list(answer[:-2]), answer[-2], answer[-1]


def card_for(path: Path) -> FidoCard:
    return FidoCard(lambda: SoftAuthenticator(path))


def pcsc_device(path: Path, *, extended: bool = False) -> tuple[CtapPcscDevice, CardInReader]:
    """python-fido2's NFC device on a fresh card for ``path``, and its reader's log."""
    reader = CardInReader(card_for(path))
    device = CtapPcscDevice(reader, "Test reader")
    device.use_ext_apdu = extended
    return device, reader
