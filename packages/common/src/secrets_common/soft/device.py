"""SoftAuthenticator: the software key seen as a python-fido2 CtapDevice."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from fido2.ctap import STATUS, CtapDevice, CtapError
from fido2.hid import CAPABILITY, CTAPHID

from secrets_common.soft.state import StateFile

if TYPE_CHECKING:
    from secrets_common.soft.session import Session

WARNING_TEMPLATE = (
    "warning: using the software authenticator {path}: secrets are not hardware-protected"
)


def warning_line(path: Path) -> str:
    """The one line to print on stderr when the software key is selected."""
    return WARNING_TEMPLATE.format(path=path)


class SoftAuthenticator(CtapDevice):
    """A CTAP2 authenticator in software, with its state in a JSON file.

    For tests and trials only: the secrets it guards are as safe as the state
    file. Every request re-reads the file under a lock and writes back what
    changed, so several processes may share one software key. Touches are
    granted automatically unless ``SECRETS_SOFT_PRESENCE=deny`` is set when
    the request arrives; then the key behaves as one nobody touches
    (CTAP2_ERR_USER_ACTION_TIMEOUT, which python-fido2's client reports as
    ``ClientError.ERR.TIMEOUT``). ``after:SECONDS`` grants each touch after
    that delay unless the request is cancelled first (CTAP2_ERR_KEEPALIVE_CANCEL).
    """

    def __init__(self, path: Path, *, presence: Callable[[], bool] | None = None) -> None:
        """``presence`` decides each touch; by default SECRETS_SOFT_PRESENCE does."""
        self._path = Path(path)
        self._state_file = StateFile(self._path)
        self._presence = presence
        # Created at the first request: the key "powers up" when first used.
        self._session: Session | None = None
        # One request at a time per object, as on a USB key.
        self._busy = threading.Lock()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def product_name(self) -> str:
        return f"SoftAuthenticator ({self._path})"

    @property
    def serial_number(self) -> str | None:
        return None

    def __repr__(self) -> str:
        return f"SoftAuthenticator({str(self._path)!r})"

    @property
    def capabilities(self) -> int:
        return CAPABILITY.CBOR | CAPABILITY.NMSG

    def call(
        self,
        cmd: int,
        data: bytes = b"",
        event: threading.Event | None = None,
        on_keepalive: Callable[[STATUS], None] | None = None,
    ) -> bytes:
        if cmd == CTAPHID.PING:
            return bytes(data)
        if cmd != CTAPHID.CBOR:
            # What a CTAP2-only HID key answers to U2F messages and the rest.
            raise CtapError(CtapError.ERR.INVALID_COMMAND)
        # The protocol machinery loads on first use, keeping imports cheap.
        from secrets_common.soft.commands import changes_nothing, process
        from secrets_common.soft.presence import environment_presence
        from secrets_common.soft.session import Context, Presence, Session

        presence = Presence(
            granted=self._presence or environment_presence(event),
            event=event,
            on_keepalive=on_keepalive,
        )
        with self._busy:
            if self._session is None:
                self._session = Session()
            # Listing keys changes nothing: it takes no lock (nor filelock's import).
            state_file = self._state_file
            state = state_file.reading() if changes_nothing(data) else state_file.transaction()
            with state as box:
                context = Context(box=box, session=self._session, presence=presence)
                return process(context, bytes(data))

    def close(self) -> None:
        """Nothing to release: the state file is only open during a request."""

    @classmethod
    def list_devices(cls) -> Iterator[SoftAuthenticator]:
        # Software keys are configured (SECRETS_AUTHENTICATOR), never discovered.
        return iter(())
