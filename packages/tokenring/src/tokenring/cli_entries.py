"""``set``, ``get``, ``delete``, ``list``: the entries of the vault."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from secrets_common.errors import NotFoundError
from tokenring.cli_common import JsonOption, VaultOption, token_ring
from tokenring.secret_input import read_secret

Service = Annotated[str, typer.Argument(help="The service (e.g. a URL).")]
User = Annotated[str, typer.Argument(help="The user name at that service.")]


def register(app: typer.Typer) -> None:
    @app.command("set")
    def set_(service: Service, user: User, vault: VaultOption = None) -> None:
        """Store a secret: typed twice without echo, or read from standard input."""
        ring = token_ring(vault)
        ring.check_vault()
        password = read_secret(f"{user!r} at {service!r}")
        ring.set(service, user, password)
        typer.echo(f"stored {user!r} at {service!r}", err=True)

    @app.command()
    def get(service: Service, user: User, vault: VaultOption = None) -> None:
        """Print a secret (one touch of your key)."""
        ring = token_ring(vault)
        ring.check_vault()
        password = ring.get(service, user)
        if password is None:
            raise NotFoundError(f"no entry for {user} in {service}")
        typer.echo(password)

    @app.command()
    def delete(service: Service, user: User, vault: VaultOption = None) -> None:
        """Remove a secret."""
        ring = token_ring(vault)
        ring.check_vault()
        if not ring.delete(service, user):
            raise NotFoundError(f"no entry for {user} in {service}")
        typer.echo(f"deleted {user!r} at {service!r}", err=True)

    @app.command("list")
    def list_(vault: VaultOption = None, as_json: JsonOption = False) -> None:
        """List services and user names (never secrets)."""
        ring = token_ring(vault)
        ring.check_vault()
        entries = ring.entries()
        if as_json:
            typer.echo(json.dumps([{"service": s, "user": u} for s, u in entries], indent=2))
            return
        for service, user in entries:
            typer.echo(f"{service}\t{user}")
