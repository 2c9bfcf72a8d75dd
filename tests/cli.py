"""Run the installed console scripts as real subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def script(name: str) -> str:
    """The console script ``name`` installed beside this interpreter."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise FileNotFoundError(
            f"console script {name!r} is not installed next to {sys.executable}"
        )
    return found


def run(
    name: str,
    *args: str,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run a console script with the test's environment plus ``env``."""
    return subprocess.run(
        [script(name), *args],
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
