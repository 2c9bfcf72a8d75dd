"""Starting again deliberately: set the vault aside and forget its pin.

The way out PINPal names when it refuses a vault it did not make, when its
vault is missing, or when the keyring lost the vault's key for good. Nothing
is deleted: the vault file is renamed beside itself, for inspection.
"""

from __future__ import annotations

import time
from pathlib import Path

from pinpal.storage.duefile import write_due, write_due_labels
from pinpal.storage.listingfile import write_listing
from pinpal.storage.locking import exclusive
from pinpal.storage.vaultpin import PIN_FILE
from pinpal.storage.vaultstore import VAULT_FILE


def start_over(directory: Path, now: float) -> list[str]:
    """Set ``directory``'s vault aside and drop its pin; a line per thing done."""
    done = []
    with exclusive(directory):
        vault = directory / VAULT_FILE
        if vault.exists():
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
            aside = vault.with_name(f"{VAULT_FILE}.set-aside-{stamp}")
            vault.rename(aside)
            done.append(f"set {vault} aside as {aside.name}.")
        pin = directory / PIN_FILE
        if pin.exists():
            pin.unlink()
            done.append("forgot the vault's pin.")
        write_due(directory, None)
        write_due_labels(directory, {})
        write_listing(directory, None, [])
    return done
