"""``agent``, ``lock``, ``status``, ``stop``: the session agent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from secrets_common.cli.output import emit
from secrets_common.errors import UsageError
from tokenring.cli import plain
from tokenring.cli.common import JsonOption, VaultOption, note, vault_path
from tokenring.locations import socket_path


def _install(*, install: bool, uninstall: bool, vault: Path | None) -> None:
    from tokenring.agent import install as service

    if install and uninstall:
        raise UsageError("choose one of --install and --uninstall")
    if install:
        lines = service.install(os.environ, vault_path(vault), socket_path())
    else:
        lines = service.uninstall(os.environ)
    for line in lines:
        emit(line)


def register(app: typer.Typer) -> None:
    @app.command()
    def agent(
        vault: VaultOption = None,
        detach: Annotated[
            bool, typer.Option("--detach", help="Run in the background once unlocked.")
        ] = False,
        locked: Annotated[
            bool,
            typer.Option(
                "--locked",
                help="Start without a touch; the first request unlocks (e.g. at login).",
            ),
        ] = False,
        idle_timeout: Annotated[
            str | None,
            typer.Option(
                "--idle-timeout",
                metavar="SECONDS",
                help="Lock after this many idle seconds (env TOKENRING_IDLE_TIMEOUT; 600).",
                show_default=False,
            ),
        ] = None,
        lifetime: Annotated[
            str | None,
            typer.Option(
                "--lifetime",
                metavar="SECONDS",
                help="Lock this many seconds after unlocking (env TOKENRING_LIFETIME; 7200).",
                show_default=False,
            ),
        ] = None,
        install: Annotated[
            bool,
            typer.Option(
                "--install",
                help="Write a socket-activated systemd user unit (Linux) or a launchd agent.",
            ),
        ] = False,
        uninstall: Annotated[
            bool, typer.Option("--uninstall", help="Remove what --install wrote.")
        ] = False,
        ready_fd: Annotated[int | None, typer.Option("--ready-fd", hidden=True)] = None,
        detached: Annotated[bool, typer.Option("--detached", hidden=True)] = False,
    ) -> None:
        """Keep the vault unlocked for this session; every read still needs a touch."""
        if install or uninstall:
            _install(install=install, uninstall=uninstall, vault=vault)
            return
        from tokenring.agent import daemon
        from tokenring.session import Timeouts

        options = daemon.AgentOptions(
            vault=vault_path(vault),
            socket=socket_path(),
            timeouts=Timeouts.from_options(idle_timeout, lifetime),
            start_locked=locked,
        )
        if detach:
            pid = daemon.detach(options)
            note(f"agent running: serving {daemon.running(options, pid)}")
            return
        daemon.serve(options, ready_fd=ready_fd, detached=detached)

    @app.command()
    def lock() -> None:
        """Make the running agent forget the vault's keys now."""
        plain.lock()

    @app.command()
    def stop() -> None:
        """Stop the running agent."""
        plain.stop()

    @app.command()
    def status(as_json: JsonOption = False) -> None:
        """Whether an agent runs, which vault it serves, locked or not, its timeouts."""
        plain.status(as_json)
