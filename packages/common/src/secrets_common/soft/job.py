"""One CTAP2 request running on the software key while its transport keeps talking.

A USB or NFC key answers keepalives, polls and cancels while it waits for a
touch. The request therefore runs on its own thread; the transport reads
its status (processing, or waiting for a touch), cancels it, and collects
the answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from fido2.ctap import STATUS, CtapError
from fido2.hid import CTAPHID

from secrets_common.soft.device import SoftAuthenticator

logger = logging.getLogger(__name__)

StatusListener = Callable[[STATUS], None]


class Job:
    """A request (command byte + CBOR) on ``device``, started at once on a thread."""

    def __init__(
        self,
        device: SoftAuthenticator,
        request: bytes,
        *,
        on_status: StatusListener | None = None,
        on_done: Callable[[Job], None] | None = None,
    ) -> None:
        self._device = device
        self._request = request
        self._on_status = on_status
        self._on_done = on_done
        self._cancel = threading.Event()
        self._changed = threading.Condition()
        self._status = STATUS.PROCESSING
        self._touch_unreported = False
        self._response: bytes | None = None
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="soft-key-request", daemon=True)
        self._thread.start()

    @property
    def status(self) -> STATUS:
        """PROCESSING, or UPNEEDED once the key waits for a touch."""
        with self._changed:
            return self._status

    @property
    def done(self) -> bool:
        with self._changed:
            return self._response is not None

    @property
    def response(self) -> bytes:
        """The answer (status byte + CBOR); only once :attr:`done`."""
        with self._changed:
            if self._response is None:
                raise RuntimeError("the request has not finished")
            return self._response

    @property
    def error(self) -> Exception | None:
        """Why the key failed the request (answered CTAP1_ERR_OTHER), if it did."""
        with self._changed:
            return self._error

    def cancel(self) -> None:
        """Ask the key to give up waiting for a touch (it answers KEEPALIVE_CANCEL)."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the request is done; whether it is."""
        with self._changed:
            return self._changed.wait_for(lambda: self._response is not None, timeout)

    def wait_for_news(self, timeout: float) -> bool:
        """Wait until the request is done or has asked for a touch not yet reported.

        Returns whether such a touch request is waiting to be reported, and
        marks it reported: a transport that polls (NFC) must tell the reader
        about every touch the key asked for, even one granted at once.
        """
        with self._changed:
            self._changed.wait_for(
                lambda: self._touch_unreported or self._response is not None, timeout
            )
            news = self._touch_unreported
            self._touch_unreported = False
            return news

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _keepalive(self, status: STATUS) -> None:
        with self._changed:
            self._status = status
            if status == STATUS.UPNEEDED:
                self._touch_unreported = True
            self._changed.notify_all()
        if self._on_status is not None:
            self._on_status(status)

    def _run(self) -> None:
        try:
            response = self._device.call(
                CTAPHID.CBOR, self._request, event=self._cancel, on_keepalive=self._keepalive
            )
        except Exception as error:
            # The state file may be unreadable or locked away: the key fails
            # this request as firmware would, and keeps serving the next ones.
            logger.debug("the software key failed a request", exc_info=True)
            response = bytes([CtapError.ERR.OTHER])
            with self._changed:
                self._error = error
        with self._changed:
            self._response = response
            self._status = STATUS.PROCESSING
            self._changed.notify_all()
        if self._on_done is not None:
            self._on_done(self)
