"""``set``, ``get``, ``delete``, ``list``: the entries of the vault."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from secrets_common.cli.output import emit
from secrets_common.errors import NotFoundError, SecretsError, UsageError
from tokenring import known_entries
from tokenring.cli import plain
from tokenring.cli.common import JsonOption, VaultOption, note, token_ring
from tokenring.cli.secret_input import read_secret

Service = Annotated[str, typer.Argument(metavar="SERVICE", help="The service (e.g. a URL).")]
User = Annotated[str, typer.Argument(metavar="USER", help="The user name at that service.")]


def register(app: typer.Typer) -> None:
    @app.command("set")
    def set_(service: Service, user: User, vault: VaultOption = None) -> None:
        """Store a secret: typed twice without echo, or read from standard input."""
        ring = token_ring(vault)
        ring.check_vault()
        password = read_secret(f"{user!r} at {service!r}")
        ring.set(service, user, password)
        note(f"stored {user!r} at {service!r}")

    @app.command()
    def get(service: Service, user: User, vault: VaultOption = None) -> None:
        """Print a secret (one touch of your key)."""
        if sys.stdout is None:  # no touch for a secret that could not be shown
            raise SecretsError("standard output is closed: nothing could be printed")
        ring = token_ring(vault)
        ring.check_vault()
        password = ring.get(service, user)
        if password is None:
            raise NotFoundError(f"no entry for {user} in {service}")
        emit(password)

    @app.command()
    def delete(
        service: Service,
        user: User,
        vault: VaultOption = None,
        force: Annotated[
            bool, typer.Option("--force", help="Also delete another vault's key.")
        ] = False,
    ) -> None:
        """Remove a secret."""
        destroys = known_entries.loss(service, user)
        if destroys is not None and not force:
            raise UsageError(
                f"{user!r} at {service!r} was not deleted: {destroys}; "
                "add --force to delete it anyway"
            )
        ring = token_ring(vault)
        ring.check_vault()
        if not ring.delete(service, user):
            raise NotFoundError(f"no entry for {user} in {service}")
        note(f"deleted {user!r} at {service!r}")

    @app.command("list")
    def list_(vault: VaultOption = None, as_json: JsonOption = False) -> None:
        """List services and user names (never secrets)."""
        ring = token_ring(vault)
        ring.check_vault()
        plain.show_entries(ring.entries(), as_json)
