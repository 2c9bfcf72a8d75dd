"""Options and helpers shared by the command modules of the CLI."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from tokenring.service import TokenRing

VaultOption = Annotated[
    Path | None,
    typer.Option(
        "--vault",
        metavar="PATH",
        envvar="TOKENRING_VAULT",
        help="The vault file (default: $SECRETS_HOME/tokenring/vault).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def vault_path(vault: Path | None) -> Path:
    from tokenring.locations import vault_path as default_vault

    return Path(os.path.abspath(vault)) if vault is not None else Path(default_vault())


def token_ring(vault: Path | None) -> TokenRing:
    from tokenring.service import TokenRing

    return TokenRing.from_environment(vault=vault_path(vault))


def note(text: str) -> None:
    """A message on stderr, best effort: the work is done whether or not it shows."""
    stream = sys.stderr
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        stream.write(text + "\n")
        stream.flush()


def warn(lines: list[str]) -> None:
    for line in lines:
        note(f"warning: {line}")
