"""Which credentials a key holds, asked silently (no touch, no PIN).

A getAssertion with ``up: false`` and no PIN answers NO_CREDENTIALS or an
assertion without waiting for anyone: it is how a client picks the right key
among several before asking for a touch, and how a key already enrolled is
skipped. python-fido2's client does the same internally, but only on the one
key it was given, and after asking for the PIN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fido2.ctap import CtapError

if TYPE_CHECKING:
    from fido2.ctap2.base import Ctap2

    from secrets_common.keysource import Credential

HMAC_SECRET = "hmac-secret"  # noqa: S105 (an extension name)
HMAC_SECRET_MC = "hmac-secret-mc"  # noqa: S105
_PROBE_CLIENT_DATA_HASH = bytes(32)


def supports_hmac_secret(ctap: Ctap2) -> bool:
    return HMAC_SECRET in ctap.info.extensions


def held_credential(ctap: Ctap2, credentials: Sequence[Credential]) -> Credential | None:
    """One of ``credentials`` that the key holds, or ``None``; never waits for a touch."""
    info = ctap.info
    limit = info.max_cred_id_length
    for rp_id in dict.fromkeys(c.rp_id for c in credentials):
        group = [
            c
            for c in credentials
            if c.rp_id == rp_id and (not limit or len(c.credential_id) <= limit)
        ]
        chunk = max(info.max_creds_in_list, 1)
        start = 0
        while start < len(group):
            part = group[start : start + chunk]
            try:
                response = ctap.get_assertion(
                    rp_id,
                    _PROBE_CLIENT_DATA_HASH,
                    [{"type": "public-key", "id": c.credential_id} for c in part],
                    options={"up": False},
                )
            except CtapError as error:
                if error.code == CtapError.ERR.NO_CREDENTIALS:
                    start += len(part)
                    continue
                if error.code == CtapError.ERR.REQUEST_TOO_LARGE and chunk > 1:
                    chunk -= 1
                    continue
                raise
            if len(part) == 1:
                return part[0]
            answered = (response.credential or {}).get("id")
            for candidate in part:
                if candidate.credential_id == answered:
                    return candidate
            # The key did not say which one: ask one at a time (the spec allows
            # omitting the ID only for a single-entry list, but keys vary).
            chunk = 1
    return None
