"""The per-machine scrypt cost: calibrated once, then read from a small file.

``SECRETS_HOME/pinpal/scrypt.json`` holds ``{"n": ..., "r": ..., "p": ...}``,
nothing secret. A damaged file is recalibrated. Writing the file by hand (or
from a test) fixes the cost explicitly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pinpal.learning.kdf import ScryptParams
from pinpal.storage.privatefile import write_private

CACHE_FILE = "scrypt.json"


def load(directory: Path) -> ScryptParams | None:
    try:
        return ScryptParams.from_json(json.loads((directory / CACHE_FILE).read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def save(directory: Path, params: ScryptParams) -> None:
    write_private(directory / CACHE_FILE, json.dumps(params.to_json()) + "\n")


def load_or_calibrate(directory: Path, calibrate: Callable[[], ScryptParams]) -> ScryptParams:
    cached = load(directory)
    if cached is not None:
        return cached
    params = calibrate()
    save(directory, params)
    return params
