"""``pinpal import-legacy``: the original PINPal's records, found in a keyring and stored.

The original kept a JSON list of records (:mod:`pinpal.legacy.records`) in one
keyring entry: service ``pinpal`` or ``$PINPAL_KEYRING``, user ``storage``.
The entry is read, never changed or removed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence

import attrs

from pinpal.legacy.records import LegacyFormatError, convert
from pinpal.service import Pinpal
from secrets_common.errors import NotFoundError, SecretsError
from secrets_common.vault import KeyringBackend

SERVICE_VARIABLE = "PINPAL_KEYRING"
DEFAULT_SERVICE = "pinpal"
USER = "storage"


class IncompleteImportError(SecretsError):
    """Some of the original's records were not imported (each is named, with why)."""


@attrs.frozen
class ImportReport:
    found: int
    imported: int
    notes: tuple[str, ...]
    """One line per record that was changed on the way (never a token)."""
    skipped: tuple[str, ...]
    """One line per record that was not imported, saying why (never a token)."""

    @property
    def summary(self) -> str:
        return f"imported {self.imported} of {self.found} records."

    def check_complete(self) -> None:
        """Raise when fewer records were imported than were found."""
        if self.skipped:
            raise IncompleteImportError(
                f"imported {self.imported} of {self.found} records; "
                f"{len(self.skipped)} skipped as listed above"
            )


def import_document(service: Pinpal, document: object) -> ImportReport:
    taken = frozenset(service.store.labels())
    entries, notes, skipped = convert(document, service.clock(), service, taken)
    service.put_many(entries)
    found = len(document) if isinstance(document, list) else 0
    return ImportReport(found, len(entries), tuple(notes), tuple(skipped))


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
) -> tuple[ImportReport, str]:
    """Import the original's records; returns the report and where they came from."""
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
    return import_document(service, document), f"{name!r}/{USER!r}"
