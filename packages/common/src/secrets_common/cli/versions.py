"""``--version`` of every console script, answered without building the CLI.

Standard library only: ``tokenring --version`` need not import typer to read
one line of package metadata.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing itself costs more than the answer
if TYPE_CHECKING:
    from collections.abc import Sequence


def version_line(distribution: str) -> str:
    """``tokenring 2026.5.1``: the installed distribution's name and version."""
    from importlib.metadata import version

    return f"{distribution} {version(distribution)}"


def fast_version(args: Sequence[str], distribution: str) -> int | None:
    """Exit status of exactly ``--version``; None for any other command line."""
    if list(args) != ["--version"]:
        return None
    if sys.stdout is None:
        return 1
    try:
        sys.stdout.write(version_line(distribution) + "\n")
        sys.stdout.flush()
    except OSError:  # a closed pipe or a full disk: nothing was shown
        return 1
    return 0
