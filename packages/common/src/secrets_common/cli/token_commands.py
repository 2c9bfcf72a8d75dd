"""The commands of ``secrets token``: which security keys are there, and what they can do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from secrets_common.cli import token_listing
from secrets_common.cli.output import emit as _emit
from secrets_common.errors import NoDeviceError, UsageError
from secrets_common.soft.vpcd import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    from secrets_common.fido.info import KeyDetails


def _pick(details: list[KeyDetails], wanted: str | None) -> KeyDetails:
    """The key named by its number, name, path or label ("NAME (PATH)"), else a usage error.

    A whole name (any case) wins over a part of one; a choice that fits no
    key, or several, is one line listing the connected keys by number.
    """
    if not details:
        from secrets_common.fido.devices import NO_DEVICE_MESSAGE

        raise NoDeviceError(NO_DEVICE_MESSAGE)
    if wanted is None:
        if len(details) > 1:
            raise UsageError(
                f"{len(details)} security keys are connected: name one by its number or name"
                f" ({_choices(details)})"
            )
        return details[0]
    if wanted.isdigit() and not any(wanted == d.name for d in details):
        index = int(wanted)
        if not 1 <= index <= len(details):
            raise UsageError(f"there is no security key number {index} ({_choices(details)})")
        return details[index - 1]
    folded = wanted.casefold()
    whole = [
        d for d in details if folded in (d.name.casefold(), d.path.casefold(), _label(d).casefold())
    ]
    part = [d for d in details if folded in d.name.casefold() or folded in d.path.casefold()]
    for found in (whole, part):
        if len(found) == 1:
            return found[0]
        if found:
            raise UsageError(
                f"{wanted!r} matches {len(found)} security keys: name one by its number"
                f" ({_choices(details)})"
            )
    raise UsageError(f"no connected security key is called {wanted!r} ({_choices(details)})")


def _label(details: KeyDetails) -> str:
    return f"{details.name} ({details.path})"


def _choices(details: list[KeyDetails]) -> str:
    return "connected: " + ", ".join(f"{n}. {_label(d)}" for n, d in enumerate(details, 1))


def _info_lines(details: KeyDetails) -> list[tuple[str, str]]:
    options = ", ".join(f"{name}={'on' if value else 'off'}" for name, value in details.options)
    if details.pin_set is None:
        pin = "not supported"
    elif details.pin_set:
        retries = (
            f" ({details.pin_retries} attempts left)" if details.pin_retries is not None else ""
        )
        pin = "set" + retries
    else:
        pin = "not set"
    hmac = "no"
    if details.hmac_secret:
        hmac = "yes, with hmac-secret-mc (one-touch enrolment)" if details.hmac_secret_mc else "yes"
    lines = [
        ("name", details.name),
        ("path", details.path),
        ("transport", details.transport),
        ("CTAP2", "yes" if details.ctap2 else "no (U2F only)"),
        ("versions", ", ".join(details.versions) or "-"),
        ("AAGUID", details.aaguid or "-"),
        ("extensions", ", ".join(details.extensions) or "-"),
        ("hmac-secret", hmac),
        ("options", options or "-"),
        ("PIN", pin),
        ("PIN protocols", ", ".join(str(p) for p in details.pin_protocols) or "-"),
    ]
    if details.min_pin_length is not None and details.pin_set is not None:
        lines.append(("min PIN length", str(details.min_pin_length)))
    if details.uv_retries is not None:
        lines.append(("UV attempts left", str(details.uv_retries)))
    if details.firmware_version is not None:
        lines.append(("firmware", str(details.firmware_version)))
    if details.max_creds_in_list is not None:
        lines.append(("max creds in list", str(details.max_creds_in_list)))
    if details.max_cred_id_length is not None:
        lines.append(("max cred ID length", str(details.max_cred_id_length)))
    if details.error is not None:
        lines.append(("error", details.error))
    return lines


def build_app() -> typer.Typer:
    from secrets_common.cli.apps import new_app

    app = new_app("Security keys: list them, inspect them, emulate one.")

    # A callback keeps typer from collapsing a one-command group into that command.
    @app.callback()
    def _group() -> None:
        """Security keys (FIDO2); SECRETS_AUTHENTICATOR=soft:PATH selects software ones."""

    @app.command("list")
    def list_(
        as_json: bool = typer.Option(False, "--json", help="A JSON list of objects."),
    ) -> None:
        """List the connected security keys: name, transport, hmac-secret, PIN.

        In the HMAC-SECRET column, "yes (+mc)" means the key also has
        hmac-secret-mc: it derives a secret while it makes a credential, so
        enrolling it takes one touch instead of two.
        """
        token_listing.show(as_json)

    @app.command("info")
    def info(
        key: str | None = typer.Argument(
            None,
            metavar="KEY",
            help="Which key: its number in `secrets token list`, or its name or path"
            " (or part of one).",
        ),
        as_json: bool = typer.Option(False, "--json", help="A JSON object."),
    ) -> None:
        """Show what one security key can do: versions, extensions, options, PIN."""
        details = _pick(token_listing.with_keys(token_listing.describe_all), key)
        if as_json:
            _emit(json.dumps(details.details()))
            return
        lines = _info_lines(details)
        width = max(len(label) for label, _value in lines)
        _emit("\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in lines))

    @app.command("emulate")
    def emulate(
        pcsc: str = typer.Option(
            ...,
            "--pcsc",
            metavar="STATE_FILE",
            help="Present the software authenticator with this state file as an NFC card"
            " in vsmartcard's virtual reader (vpcd), for pcscd's clients to find.",
        ),
        vpcd: str = typer.Option(
            f"{DEFAULT_HOST}:{DEFAULT_PORT}",
            "--vpcd",
            metavar="HOST:PORT",
            help="Where vpcd listens for its virtual card.",
        ),
    ) -> None:
        """Run the software authenticator as a FIDO2 NFC card, in the foreground.

        Prints "ready" once the card is in the reader. Stop it with Ctrl-C.
        """
        from secrets_common.cli.emulate import emulate_pcsc

        emulate_pcsc(Path(pcsc), vpcd)

    return app
