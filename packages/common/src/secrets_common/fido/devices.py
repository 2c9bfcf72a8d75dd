"""Finding the security keys that are connected: USB, NFC, or software.

A discovery is a callable returning freshly opened :class:`Authenticator`
objects; the caller closes them when done. Nothing is opened before a
discovery is called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secrets_common.errors import AuthenticatorError, NoDeviceError

if TYPE_CHECKING:
    from fido2.ctap import CtapDevice

logger = logging.getLogger(__name__)

NO_DEVICE_MESSAGE = (
    "no security key found: plug one in, or set SECRETS_AUTHENTICATOR=soft:PATH"
    " to try the software authenticator"
)


@dataclass(frozen=True, slots=True, eq=False)
class Authenticator:
    """One connected key, opened, with the names a person recognises it by."""

    name: str
    """What the key calls itself ("YubiKey 5 NFC"), or the software one's file."""
    transport: str
    """``usb``, ``nfc``, ``soft`` or ``soft-hid`` (the software key behind HID framing)."""
    path: str
    """Where it is connected: a hidraw path, a reader name, a state file."""
    device: CtapDevice

    @property
    def label(self) -> str:
        """The name and where it is, for prompts and errors."""
        return f"{self.name} ({self.path})"

    @property
    def speaks_ctap2(self) -> bool:
        """Whether the key speaks CTAP2 (U2F-only keys cannot do hmac-secret)."""
        from fido2.hid import CAPABILITY

        return bool(self.device.capabilities & CAPABILITY.CBOR)

    def close(self) -> None:
        try:
            self.device.close()
        except OSError:  # an unplugged key cannot be closed any more cleanly
            logger.debug("closing %s failed", self.label, exc_info=True)


Discovery = Callable[[], Sequence[Authenticator]]


def hardware_authenticators() -> list[Authenticator]:
    """The FIDO keys on USB (HID) and, when pyscard is installed, on NFC readers.

    Raises :class:`AuthenticatorError` when keys are there but none could be
    opened (permissions, or another program holding them).
    """
    failures: list[tuple[str, BaseException]] = []
    found = [*_hid_authenticators(failures), *_pcsc_authenticators()]
    if not found and failures:
        path, error = failures[0]
        detail = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise AuthenticatorError(
            f"cannot open the security key at {path} ({detail}): check its permissions"
            " (udev rules) or close the program using it"
        )
    return found


def _hid_authenticators(failures: list[tuple[str, BaseException]]) -> list[Authenticator]:
    from fido2.hid import CtapHidDevice, list_descriptors, open_connection

    found = []
    for descriptor in list_descriptors():  # type: ignore[no-untyped-call]
        path = descriptor.path.decode() if isinstance(descriptor.path, bytes) else descriptor.path
        try:
            connection = open_connection(descriptor)  # type: ignore[no-untyped-call]
            device = CtapHidDevice(descriptor, connection)
        except Exception as error:  # one key that cannot be opened must not hide the others
            logger.debug("cannot open %s", path, exc_info=True)
            failures.append((str(path), error))
            continue
        name = (
            descriptor.product_name or f"USB security key {descriptor.vid:04x}:{descriptor.pid:04x}"
        )
        found.append(Authenticator(name=name, transport="usb", path=str(path), device=device))
    return found


def _pcsc_authenticators() -> list[Authenticator]:
    try:
        from fido2.pcsc import CtapPcscDevice
    except ImportError:  # pyscard is an optional extra (secrets-common[pcsc])
        return []
    try:
        devices = list(CtapPcscDevice.list_devices())
    except Exception:  # no PC/SC service running is the usual case, not an error
        logger.debug("PC/SC listing failed", exc_info=True)
        return []
    # python-fido2 names a PC/SC key only through its repr: "CtapPcscDevice(<reader>)".
    return [
        Authenticator(
            name="NFC security key",
            transport="nfc",
            path=repr(device).removeprefix("CtapPcscDevice(").removesuffix(")"),
            device=device,
        )
        for device in devices
    ]


def soft_authenticators(
    paths: Sequence[Path], *, hid: Collection[Path] = ()
) -> list[Authenticator]:
    """One software authenticator per state file, in the order given.

    Those in ``hid`` are reached through python-fido2's CtapHidDevice over a
    software HID connection, so that its framing, keepalives and cancel run.
    """
    from secrets_common.soft import SoftAuthenticator

    found = []
    for path in paths:
        device: CtapDevice
        try:
            if path in hid:
                from secrets_common.soft.hid import open_soft_hid

                device = open_soft_hid(path)
            else:
                device = SoftAuthenticator(path)
        except OSError as error:
            raise AuthenticatorError(
                f"cannot open the software authenticator {path}: {error.strerror or error}"
            ) from error
        if path in hid:
            found.append(
                Authenticator(
                    name="SoftAuthenticator (HID)",
                    transport="soft-hid",
                    path=str(path),
                    device=device,
                )
            )
        else:
            found.append(
                Authenticator(
                    name="SoftAuthenticator", transport="soft", path=str(path), device=device
                )
            )
    return found


@contextmanager
def connected(discover: Discovery) -> Iterator[Sequence[Authenticator]]:
    """The keys ``discover`` finds, closed on exit; :class:`NoDeviceError` if none."""
    try:
        authenticators = discover()
    except OSError as error:
        raise AuthenticatorError(f"cannot list security keys: {error.strerror or error}") from error
    try:
        if not authenticators:
            raise NoDeviceError(NO_DEVICE_MESSAGE)
        yield authenticators
    finally:
        for authenticator in authenticators:
            authenticator.close()
