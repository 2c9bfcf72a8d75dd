"""The commands of ``pinpal`` (= ``secrets pin``)."""

from __future__ import annotations

import typer


def build_app() -> typer.Typer:
    app = typer.Typer(
        help="PINPal: learn strong random secrets by spaced repetition.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )

    # A callback keeps typer from collapsing a one-command group into that command.
    @app.callback()
    def _group() -> None:
        pass

    @app.command()
    def version() -> None:
        """Show the version."""
        from importlib.metadata import version as dist_version

        typer.echo(dist_version("pinpal"))

    return app
