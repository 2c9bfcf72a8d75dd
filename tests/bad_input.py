"""What every bad-input test checks about a console script's failure.

The developers' guide: one ``error:`` line on stderr, a documented non-zero
status, never a traceback. Warning lines (the software authenticator's) and
touch prompts are allowed around it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ALLOWED_PREFIXES = ("warning: ", "Touch your security key")


def soft(*paths: Path) -> dict[str, str]:
    """The environment selecting software authenticators with these state files."""
    return {"SECRETS_AUTHENTICATOR": ",".join(f"soft:{path}" for path in paths)}


def error_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    """The one ``error:`` line of a failed run (its text after ``error: ``)."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == status, (result.returncode, result.stderr)
    others = [line for line in result.stderr.splitlines() if not line.startswith(ALLOWED_PREFIXES)]
    assert len(others) == 1, result.stderr
    assert others[0].startswith("error: "), result.stderr
    return others[0].removeprefix("error: ")
