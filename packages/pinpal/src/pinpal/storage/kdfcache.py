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


def load_or_calibrate(
    directory: Path, calibrate: Callable[[], ScryptParams], floor: ScryptParams = FLOOR
) -> ScryptParams:
    cached = load(directory, floor)
    if cached is not None:
        return cached
    params = calibrate()
    if not meets_floor(params, floor):
        params = floor
    save(directory, params)
    return params
