"""What a connected key can do, for ``secrets token list`` and ``info``.

Reading it never needs a touch or a PIN: authenticatorGetInfo and the PIN
retry counter are free to ask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from fido2.ctap import CtapError
from fido2.ctap2.base import Ctap2
from fido2.ctap2.pin import ClientPin
from fido2.hid import ConnectionFailure

from secrets_common.fido.devices import Authenticator
from secrets_common.fido.probe import HMAC_SECRET, HMAC_SECRET_MC


@dataclass(frozen=True, slots=True)
class KeyDetails:
    """One key as ``secrets token`` shows it."""

    name: str
    transport: str
    path: str
    ctap2: bool = False
    versions: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    options: tuple[tuple[str, bool], ...] = ()
    aaguid: str | None = None
    pin_protocols: tuple[int, ...] = ()
    pin_retries: int | None = None
    uv_retries: int | None = None
    min_pin_length: int | None = None
    firmware_version: int | None = None
    max_creds_in_list: int | None = None
    max_cred_id_length: int | None = None
    error: str | None = None
    """Why the details could not be read, when they could not."""

    @property
    def hmac_secret(self) -> bool:
        return HMAC_SECRET in self.extensions

    @property
    def hmac_secret_mc(self) -> bool:
        return HMAC_SECRET_MC in self.extensions

    @property
    def pin_set(self) -> bool | None:
        """``True``/``False``, or ``None`` when the key has no PIN at all."""
        value = dict(self.options).get("clientPin")
        return None if value is None else bool(value)

    def summary(self) -> dict[str, Any]:
        """The fields of ``secrets token list --json``."""
        return {
            "name": self.name,
            "transport": self.transport,
            "path": self.path,
            "hmac_secret": self.hmac_secret,
            "hmac_secret_mc": self.hmac_secret_mc,
            "pin_set": self.pin_set,
            "error": self.error,
        }

    def details(self) -> dict[str, Any]:
        """The fields of ``secrets token info --json``."""
        return {
            **self.summary(),
            "ctap2": self.ctap2,
            "versions": list(self.versions),
            "extensions": list(self.extensions),
            "options": dict(self.options),
            "aaguid": self.aaguid,
            "pin_protocols": list(self.pin_protocols),
            "pin_retries": self.pin_retries,
            "uv_retries": self.uv_retries,
            "min_pin_length": self.min_pin_length,
            "firmware_version": self.firmware_version,
            "max_creds_in_list": self.max_creds_in_list,
            "max_cred_id_length": self.max_cred_id_length,
        }


def describe(authenticator: Authenticator) -> KeyDetails:
    """Ask a key what it is; a key that fails to answer is described by its error."""
    base = KeyDetails(
        name=authenticator.name, transport=authenticator.transport, path=authenticator.path
    )
    if not authenticator.speaks_ctap2:
        return base  # a U2F-only key: no CTAP2, so no hmac-secret
    try:
        ctap = Ctap2(authenticator.device)
    except (CtapError, OSError, ConnectionFailure, ValueError) as error:
        return replace(base, error=_describe_error(error))
    info = ctap.info
    options: Mapping[str, bool] = info.options
    details = replace(
        base,
        ctap2=True,
        versions=tuple(info.versions),
        extensions=tuple(info.extensions),
        options=tuple(sorted((str(k), bool(v)) for k, v in options.items())),
        aaguid=str(info.aaguid),
        pin_protocols=tuple(info.pin_uv_protocols),
        min_pin_length=info.min_pin_length,
        firmware_version=info.firmware_version or None,
        max_creds_in_list=info.max_creds_in_list or None,
        max_cred_id_length=info.max_cred_id_length or None,
    )
    try:
        if options.get("clientPin"):
            details = replace(details, pin_retries=ClientPin(ctap).get_pin_retries()[0])
        if options.get("uv"):
            details = replace(details, uv_retries=ClientPin(ctap).get_uv_retries())
    except (CtapError, OSError, ConnectionFailure) as error:
        details = replace(details, error=_describe_error(error))
    return details


def _describe_error(error: BaseException) -> str:
    if isinstance(error, CtapError):
        return f"the key answered {error.code.name.lower().replace('_', ' ')}"
    return str(getattr(error, "strerror", None) or error or type(error).__name__)
