"""The real service of one command: the vault store, the state directory, the hash cost.

Shared by the typer commands and the fast ``pinpal list``, so that both
work on the same state in the same way.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from pinpal.service import Pinpal
from pinpal.storage.duefile import state_dir
from pinpal.storage.vaultstore import VAULT_FILE, VaultStore

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pinpal.learning.kdf import ScryptParams


def hash_cost(directory: Path) -> Callable[[], ScryptParams]:
    """The calibrated scrypt cost, asked for lazily: commands that hash nothing never calibrate."""

    def load() -> ScryptParams:
        from pinpal.cli.terminal import calibrate_with_spinner
        from pinpal.storage import kdfcache

        return kdfcache.load_or_calibrate(directory, calibrate_with_spinner)

    return functools.cache(load)


def open_service(clock: Callable[[], float]) -> Pinpal:
    directory = state_dir()
    return Pinpal(VaultStore(directory / VAULT_FILE), directory, clock, hash_cost(directory))
