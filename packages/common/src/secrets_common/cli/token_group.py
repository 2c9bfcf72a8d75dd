"""``secrets token``: the security keys (authenticators) the toolkit can use."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def app() -> typer.Typer:
    from secrets_common.cli.token_commands import build_app

    return build_app()


def main(argv: Sequence[str] | None = None, prog_name: str | None = None) -> int:
    from secrets_common.cli.running import run

    return run(app, sys.argv[1:] if argv is None else argv, prog_name or "secrets token")
