"""The commands of ``secrets token``."""

from __future__ import annotations

import typer


def build_app() -> typer.Typer:
    app = typer.Typer(
        help="Security keys: list them, inspect them.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )

    # A callback keeps typer from collapsing a one-command group into that command.
    @app.callback()
    def _group() -> None:
        pass

    @app.command("list")
    def list_() -> None:
        """List the authenticators that are connected."""
        raise NotImplementedError

    return app
