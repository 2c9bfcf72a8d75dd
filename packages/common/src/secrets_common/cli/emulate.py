"""``secrets token emulate --pcsc``: the software key as an NFC card in vpcd's reader."""

from __future__ import annotations

import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType

from secrets_common.errors import UsageError


class _Stopped(Exception):
    """SIGTERM: stop as Ctrl-C does."""


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stopped


def emulate_pcsc(state_file: Path, reader: str) -> None:
    """Run in the foreground until Ctrl-C or SIGTERM; ``ready`` on stdout at each insertion."""
    from fido2.hid import CTAPHID

    from secrets_common.cli.output import emit
    from secrets_common.fido.interaction import say
    from secrets_common.soft import SoftAuthenticator, warning_line
    from secrets_common.soft.card import FidoCard
    from secrets_common.soft.vpcd import insert, parse_address

    try:
        address = parse_address(reader)
    except ValueError as error:
        raise UsageError(f"--vpcd: {error}") from None
    path = state_file.expanduser().absolute()
    # Create or check the state file now, so that a bad one fails at once.
    SoftAuthenticator(path).call(CTAPHID.CBOR, bytes([0x04]))
    say(sys.stderr, warning_line(path))
    card = FidoCard(lambda: SoftAuthenticator(path))
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        insert(
            card,
            address,
            on_inserted=lambda: emit("ready"),
            on_waiting=lambda line: say(sys.stderr, line),
            stop=stop,
        )
    except (KeyboardInterrupt, _Stopped):
        stop.set()
    except socket.gaierror as error:
        raise UsageError(f"--vpcd: cannot resolve {address.host!r} ({error.strerror})") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        card.power_off()
