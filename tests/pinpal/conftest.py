"""Fixtures of PINPal's command-line tests: a keyring file and a cheap hash cost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.pinpal.helpers import FLOOR_SCRYPT_JSON


@pytest.fixture
def env(isolated_environment: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a `pinpal` process: plaintext keyring file under tmp_path.

    The hash cost is fixed at PINPal's floor through the calibration file, as a user could.
    """
    state = isolated_environment / "pinpal"
    state.mkdir(parents=True, mode=0o700)
    (state / "scrypt.json").write_text(FLOOR_SCRYPT_JSON)
    return {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }
