"""The one way the toolkit makes a typer application: plain help, no rich, no pydantic.

typer renders help with rich when rich is installed: its boxes cut long
defaults off, show ``<bool>`` after flags, and importing rich costs more than
the commands themselves. Plain click help wraps instead of cutting and needs
no import. Every group of the toolkit is made here, so that all look alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import typer
import typer.core

_Command = TypeVar("_Command", bound=Callable[..., Any])


class WrappingGroup(typer.core.TyperGroup):
    """A group whose command list wraps each command's summary instead of cutting it."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                # click cuts the summary to what fits on one line ("...");
                # the formatter wraps the whole of it just as well.
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class PlainCommand(typer.core.TyperCommand):
    """A command whose usage line names its arguments as ``SERVICE USER``, like man pages.

    typer writes a required argument as ``{SERVICE}``, which reads as a shell
    brace expansion or a set to choose from.
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                pieces.extend(param.get_usage_pieces(ctx))
                continue
            name = param.metavar or (param.name or "").upper()
            if not param.required:
                name = f"[{name}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces


class ToolkitTyper(typer.Typer):
    """A typer application whose commands are :class:`PlainCommand` unless told otherwise."""

    def command(
        self, name: str | None = None, *, cls: Any = None, **settings: Any
    ) -> Callable[[_Command], _Command]:
        decorate: Callable[[_Command], _Command] = super().command(
            name, cls=cls or PlainCommand, **settings
        )
        return decorate


def new_app(help: str, **settings: Any) -> ToolkitTyper:
    """A typer application (group) with the toolkit's settings; ``settings`` override them.

    ``add_completion`` gives a top-level application ``--install-completion``
    and ``--show-completion`` (bash, zsh, fish); typer ignores it for a group
    added under another.
    """
    chosen: dict[str, Any] = {
        "cls": WrappingGroup,
        "no_args_is_help": True,
        "add_completion": True,
        "pretty_exceptions_enable": False,
        "rich_markup_mode": None,
        **settings,
    }
    return ToolkitTyper(help=help, **chosen)


def version_option(distribution: str) -> Any:
    """An eager ``--version`` option for a top-level callback: prints ``NAME VERSION``."""

    def show(value: bool) -> None:
        if value:
            from secrets_common.cli.versions import version_line

            typer.echo(version_line(distribution))
            raise typer.Exit(0)

    return typer.Option(
        False, "--version", callback=show, is_eager=True, help="Show the version and exit."
    )
