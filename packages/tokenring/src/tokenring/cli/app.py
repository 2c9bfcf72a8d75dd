"""The commands of ``tokenring`` (= ``secrets ring``)."""

from __future__ import annotations

import typer


def build_app() -> typer.Typer:
    from tokenring.cli import agent as cli_agent
    from tokenring.cli import entries as cli_entries
    from tokenring.cli import vault as cli_vault

    app = typer.Typer(
        help="TokenRing: secrets released only after a touch of your security key.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    # A callback keeps typer from collapsing a one-command group into that command.
    @app.callback()
    def _group() -> None:
        pass

    @app.command()
    def version() -> None:
        """Show the version."""
        from importlib.metadata import version as dist_version

        from secrets_common.cli.output import emit

        emit(dist_version("tokenring"))

    cli_vault.register(app)
    cli_entries.register(app)
    cli_agent.register(app)
    return app
