"""Options and helpers shared by the command modules of the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from secrets_common.cli.output import note
from tokenring.cli.plain import vault_path, warn

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

__all__ = ["JsonOption", "VaultOption", "note", "token_ring", "vault_path", "warn"]


def token_ring(vault: Path | None) -> TokenRing:
    from tokenring.service import TokenRing

    return TokenRing.from_environment(vault=vault_path(vault))
