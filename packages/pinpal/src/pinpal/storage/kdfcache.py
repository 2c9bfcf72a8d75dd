"""The per-machine scrypt cost: calibrated once, then read from a small file.

``SECRETS_HOME/pinpal/scrypt.json`` holds ``{"n": ..., "r": ..., "p": ...}``,
nothing secret. A damaged file is recalibrated, and so is one that asks for
less than :data:`~pinpal.learning.kdf.FLOOR` (n=2^14, r=8, p=1): the file is
not protected, and a cheap cost there must not make a secret cheap to guess.
Writing the file by hand (or from a test) fixes a cost at or above the floor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pinpal.learning.kdf import FLOOR, ScryptParams, meets_floor
from pinpal.storage.privatefile import write_private

CACHE_FILE = "scrypt.json"


def load(directory: Path, floor: ScryptParams = FLOOR) -> ScryptParams | None:
    """The cost in the file; None when it is missing, damaged or below the floor."""
    try:
        params = ScryptParams.from_json(json.loads((directory / CACHE_FILE).read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return params if meets_floor(params, floor) else None


def save(directory: Path, params: ScryptParams) -> None:
    write_private(directory / CACHE_FILE, json.dumps(params.to_json()) + "\n")


def calibrated(calibrate: Callable[[], ScryptParams], floor: ScryptParams = FLOOR) -> ScryptParams:
    params = calibrate()
    return params if meets_floor(params, floor) else floor


def load_or_calibrate(
    directory: Path, calibrate: Callable[[], ScryptParams], floor: ScryptParams = FLOOR
) -> ScryptParams:
    cached = load(directory, floor)
    if cached is not None:
        return cached
    params = calibrated(calibrate, floor)
    save(directory, params)
    return params


class HashCost:
    """The cost for one command, calibrated at most once; the file written only when kept.

    A command that fails before it stored anything (a keyring that refuses
    the first vault, say) must leave no ``scrypt.json`` behind: a freshly
    calibrated cost is written by :meth:`keep`, which the caller calls once
    something hashed at that cost is stored, or at once where a vault
    already exists (the keyring has served before).
    """

    def __init__(
        self,
        directory: Path,
        calibrate: Callable[[], ScryptParams],
        stored: Callable[[], bool],
        floor: ScryptParams = FLOOR,
    ) -> None:
        self._directory = directory
        self._calibrate = calibrate
        self._stored = stored
        self._floor = floor
        self._params: ScryptParams | None = None
        self._unsaved = False
        self._written = False

    def __call__(self) -> ScryptParams:
        if self._params is None:
            self._params = load(self._directory, self._floor)
            if self._params is None:
                self._params = calibrated(self._calibrate, self._floor)
                self._unsaved = True
                if self._stored():
                    self.keep()
        return self._params

    def keep(self) -> None:
        """Write a freshly calibrated cost to the file (once)."""
        if self._unsaved and self._params is not None:
            save(self._directory, self._params)
            self._unsaved = False
            self._written = True

    def withdraw(self) -> None:
        """Remove the file again if this command wrote it (what it hashed is gone)."""
        if self._written:
            (self._directory / CACHE_FILE).unlink(missing_ok=True)
            self._written = False
