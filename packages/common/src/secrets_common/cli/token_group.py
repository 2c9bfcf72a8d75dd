"""``secrets token``: the security keys (authenticators) the toolkit can use.

``secrets token list [--json]`` is answered without typer (:func:`fast_list`).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs the fast `secrets token list` more than its own work
if TYPE_CHECKING:
    from collections.abc import Sequence

    import typer


def app() -> typer.Typer:
    from secrets_common.cli.token_commands import build_app

    return build_app()


def fast_list(args: Sequence[str]) -> int | None:
    """``list [--json]`` without typer (None for any other command line)."""
    if list(args) not in (["list"], ["list", "--json"]):
        return None
    from secrets_common.cli import token_listing
    from secrets_common.cli.running import run_fast

    return run_fast(lambda: token_listing.show(len(args) == 2))


def main(argv: Sequence[str] | None = None, prog_name: str | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    status = fast_list(args)
    if status is not None:
        return status
    from secrets_common.cli.running import run

    return run(app, args, prog_name or "secrets token")
