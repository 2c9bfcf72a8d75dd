"""``pinpal import-legacy``: the original PINPal's records, found in a keyring and stored.

The original kept a JSON list of records (:mod:`pinpal.legacy.records`) in one
keyring entry: service ``pinpal`` or ``$PINPAL_KEYRING``, user ``storage``.
The entry is read, never changed or removed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence

from pinpal.legacy.records import LegacyFormatError, convert
from pinpal.service import Pinpal
from secrets_common.errors import NotFoundError
from secrets_common.vault import KeyringBackend

SERVICE_VARIABLE = "PINPAL_KEYRING"
DEFAULT_SERVICE = "pinpal"
USER = "storage"


def import_document(service: Pinpal, document: object) -> list[str]:
    taken = frozenset(service.store.labels())
    entries, lines = convert(document, service.clock(), service, taken)
    for entry in entries:
        service.put(entry)
    lines.append(
        f"imported {len(entries)} of {len(document) if isinstance(document, list) else 0} records."
    )
    return lines


def _stored_records(backends: Sequence[KeyringBackend], name: str) -> str | None:
    """The original's records from the first backend that has them."""
    chosen, *others = backends
    raw = chosen.get_password(name, USER)
    for backend in others:
        if raw is not None:
            break
        try:
            raw = backend.get_password(name, USER)
        except Exception:  # noqa: S112 -- a backend beside the chosen one is only searched
            continue
    return raw


def import_from_keyring(
    service: Pinpal,
    service_name: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    from pinpal.storage.keyrings import searched_keyrings

    env = os.environ if environ is None else environ
    name = service_name or env.get(SERVICE_VARIABLE) or DEFAULT_SERVICE
    raw = _stored_records(searched_keyrings(), name)
    if raw is None:
        raise NotFoundError(
            f"no original PINPal storage in any keyring (service {name!r}, user {USER!r})"
        )
    try:
        document = json.loads(raw)
    except ValueError:
        raise LegacyFormatError(
            f"the keyring entry {name!r}/{USER!r} is not the original PINPal's JSON"
        ) from None
    lines = import_document(service, document)
    lines.append(
        f"the original entry ({name!r}/{USER!r}) is left in the keyring; remove it when done."
    )
    return lines
