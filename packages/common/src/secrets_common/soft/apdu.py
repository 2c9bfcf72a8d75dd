"""ISO 7816-4 command and response APDUs, short and extended, as a card reads them."""

from __future__ import annotations

from dataclasses import dataclass

SHORT_MAX = 256
EXTENDED_MAX = 65536

SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_LAST_COMMAND_EXPECTED = 0x6883
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW1_MORE_DATA = 0x61
CLA_CHAINING = 0x10
"""The bit of CLA that says more of this command follows (ISO 7816-4 5.4.1)."""


class MalformedApdu(ValueError):
    """The bytes are no command APDU (the card answers 6700)."""


@dataclass(frozen=True, slots=True)
class Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int = 0
    """Bytes of response data the reader accepts (Le; 256 or 65536 for Le = 0)."""
    extended: bool = False

    @property
    def chained(self) -> bool:
        return bool(self.cla & CLA_CHAINING)

    @property
    def header(self) -> tuple[int, int, int, int]:
        """CLA without the chaining bit, INS, P1, P2: what the pieces of a chain share."""
        return (self.cla & ~CLA_CHAINING, self.ins, self.p1, self.p2)


def parse(apdu: bytes) -> Command:
    """The command in ``apdu`` (cases 1 to 4, short or extended lengths).

    A command without Le accepts as much as its form can carry, as python-fido2
    sends extended NFCCTAP messages without one and reads the whole answer.
    """
    if len(apdu) < 4:
        raise MalformedApdu("shorter than a header")
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]

    def command(data: bytes, ne: int, extended: bool) -> Command:
        return Command(cla, ins, p1, p2, data, ne, extended)

    if not body:
        return command(b"", SHORT_MAX, False)
    if len(body) == 1:
        return command(b"", body[0] or SHORT_MAX, False)
    if body[0] != 0:
        lc = body[0]
        rest = body[1:]
        if len(rest) == lc:
            return command(rest, SHORT_MAX, False)
        if len(rest) == lc + 1:
            return command(rest[:lc], rest[lc] or SHORT_MAX, False)
        raise MalformedApdu("Lc does not match the data")
    if len(body) < 3:
        raise MalformedApdu("truncated extended length")
    length = int.from_bytes(body[1:3], "big")
    rest = body[3:]
    if not rest:
        return command(b"", length or EXTENDED_MAX, True)
    if length == 0:
        raise MalformedApdu("extended Lc of zero")
    if len(rest) == length:
        return command(rest, EXTENDED_MAX, True)
    if len(rest) == length + 2:
        return command(rest[:length], int.from_bytes(rest[length:], "big") or EXTENDED_MAX, True)
    raise MalformedApdu("extended Lc does not match the data")


def response(data: bytes, sw: int) -> bytes:
    return data + sw.to_bytes(2, "big")


def status(sw: int) -> bytes:
    return sw.to_bytes(2, "big")
