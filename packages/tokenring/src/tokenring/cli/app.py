"""The commands of ``tokenring`` (= ``secrets ring``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def build_app() -> typer.Typer:
    from secrets_common.cli.apps import new_app, version_option
    from tokenring.cli import agent as cli_agent
    from tokenring.cli import entries as cli_entries
    from tokenring.cli import vault as cli_vault

    app = new_app("TokenRing: secrets released only after a touch of your security key.")

    # A callback keeps typer from collapsing a one-command group into that command.
    @app.callback()
    def _group(version: bool = version_option("tokenring")) -> None:
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
