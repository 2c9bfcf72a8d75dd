"""The real service of one command: the vault store, the state directory, the hash cost.

Shared by the typer commands and the fast ``pinpal list``, so that both
work on the same state in the same way.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from pinpal.service import Pinpal
from pinpal.storage.duefile import state_dir
from pinpal.storage.rehearsal import TEST_CLOCK_VARIABLE, RehearsalStore, rehearsing
from pinpal.storage.vaultstore import VAULT_FILE, VaultStore

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pinpal.learning.engine import Policy
    from pinpal.storage import kdfcache
    from pinpal.storage.codec import LabelEntry
    from pinpal.storage.store import RecordStore


def hash_cost(directory: Path, rehearsal: bool) -> kdfcache.HashCost:
    # Asked for lazily: commands that hash nothing never calibrate. A fresh
    # calibration is written once the keyring has served (a vault exists),
    # never in a rehearsal.
    from pinpal.cli.terminal import calibrate_with_spinner
    from pinpal.storage import kdfcache

    vault = directory / VAULT_FILE
    return kdfcache.HashCost(
        directory, calibrate_with_spinner, lambda: not rehearsal and vault.exists()
    )


def rehearsal_note(now: float) -> str:
    import time

    moment = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(now))
    return (
        f"rehearsal: acting as if it were {moment}; nothing is stored "
        f"({TEST_CLOCK_VARIABLE}=1 stores)"
    )


def open_service(
    clock: Callable[[], float], now: float | None, note: Callable[[str], None]
) -> Pinpal:
    """The service at ``--now`` (None: the real clock); ``note`` tells of a rehearsal."""
    directory = state_dir()
    rehearsal = rehearsing(now, os.environ)
    store: RecordStore = VaultStore(directory / VAULT_FILE)
    if rehearsal and now is not None:
        note(rehearsal_note(now))
        store = RehearsalStore(store)
    return Pinpal(
        store,
        directory,
        clock,
        hash_cost(directory, rehearsal),
        rehearsal=rehearsal,
        listing=lambda *seen: keep_listing(directory, *seen),
    )


def keep_listing(
    directory: Path, generation: object, entries: list[LabelEntry], policy: Policy
) -> None:
    """Write the listing file (:mod:`pinpal.storage.listingfile`) of the vault at ``generation``."""
    from pinpal.cli.listing import summaries
    from pinpal.storage.listingfile import file_generation, write_listing

    current = file_generation(directory / VAULT_FILE)
    if generation == current:  # the entries are of the vault file as it is now
        write_listing(directory, current, summaries(entries, policy))
