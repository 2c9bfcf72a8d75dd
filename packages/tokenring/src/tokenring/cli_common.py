"""Options and helpers shared by the command modules of the CLI."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from secrets_common.errors import SecretsError
from tokenring.service import TokenRing

VaultOption = Annotated[
    Path | None,
    typer.Option(
        "--vault",
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
    return TokenRing.from_environment(vault=vault_path(vault))


def emit(text: str) -> None:
    """Print ``text`` on stdout; output that cannot be written is an error, not a success.

    A secret printed nowhere would have cost a touch for nothing, silently.
    """
    stream = sys.stdout
    if stream is None:  # started with stdout closed (`>&-`)
        raise SecretsError("standard output is closed: nothing could be printed")
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        raise  # the reader went away (`| head`): the runner ends quietly
    except OSError as error:
        raise SecretsError(f"cannot write to standard output: {error.strerror or error}") from None


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
