"""The commands of ``pinpal`` (= ``secrets pin``).

Wiring only: the real clock, the ``secrets`` module, getpass prompts, the
vault store and the calibrated hash cost are chosen here and handed down.
``--now`` replaces the clock for one command: to rehearse a schedule (or for
end-to-end tests that learn a secret over simulated days).
"""

from __future__ import annotations

import getpass
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from pinpal import kdfcache, quickcheck
from pinpal.codec import LabelEntry
from pinpal.drill import describe, drill, unit
from pinpal.duefile import state_dir
from pinpal.engine import Memorization
from pinpal.entropy import SYSTEM_ENTROPY
from pinpal.kdf import ScryptParams, calibrate
from pinpal.secretgen import (
    DEFAULT_WORDS,
    NewSecret,
    existing_secret,
    generate_digits,
    generate_words,
)
from pinpal.service import CURRENT, Pinpal
from pinpal.vaultstore import VAULT_FILE, VaultStore
from secrets_common.errors import UsageError


class TerminalConsole:
    def say(self, text: str) -> None:
        typer.echo(text)

    def ask_secret(self, prompt: str) -> str:
        try:
            return getpass.getpass(prompt)
        except EOFError:
            raise UsageError("no answer (end of input)") from None


class Spinner:
    """A spinner on stderr while the hash cost is calibrated (a terminal only)."""

    FRAMES = "|/-\\"

    def __init__(self) -> None:
        self.count = 0
        self.active = sys.stderr.isatty()

    def tick(self) -> None:
        if self.active:
            frame = self.FRAMES[self.count % len(self.FRAMES)]
            sys.stderr.write(f"\rcalibrating the hash for this machine (once) {frame}")
            sys.stderr.flush()
        self.count += 1

    def done(self) -> None:
        if self.active:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _calibrated(directory: Path) -> Callable[[], ScryptParams]:
    found: list[ScryptParams] = []

    def params() -> ScryptParams:
        if not found:
            spinner = Spinner()

            def run() -> ScryptParams:
                spinner.tick()
                try:
                    return calibrate(tick=spinner.tick)
                finally:
                    spinner.done()

            found.append(kdfcache.load_or_calibrate(directory, run))
        return found[0]

    return params


def when(moment: float, now: float) -> str:
    delta = moment - now
    if delta <= 0:
        return "now"
    for size, name in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if delta >= size:
            count = round(delta / size)
            return f"in {count} {name}{'' if count == 1 else 's'}"
    return "in under a minute"


def build_app() -> typer.Typer:
    app = typer.Typer(
        help="PINPal: learn strong random secrets by spaced repetition.",
        no_args_is_help=False,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    settings: dict[str, Any] = {"now": None}

    def clock() -> float:
        fixed = settings["now"]
        return float(fixed) if fixed is not None else time.time()

    def service() -> Pinpal:
        directory = state_dir()
        return Pinpal(
            VaultStore(directory / VAULT_FILE),
            directory,
            clock,
            _calibrated(directory),
        )

    @app.callback(invoke_without_command=True)
    def _group(
        context: typer.Context,
        now: float | None = typer.Option(
            None,
            "--now",
            metavar="EPOCH",
            help="Act as if the clock read this Unix time (rehearse a schedule; tests).",
        ),
    ) -> None:
        settings["now"] = now
        if context.invoked_subcommand is None:
            _drill(None)

    def choose_secret(words: int | None, digits: int | None, existing: bool) -> NewSecret:
        chosen = sum(x is not None and x is not False for x in (words, digits, existing or None))
        if chosen > 1:
            raise UsageError("choose one of --words, --digits and --existing")
        if existing:
            first = getpass.getpass("your secret: ")
            second = getpass.getpass("again: ")
            if first != second:
                raise UsageError("the two entries differ; nothing was stored")
            return existing_secret(first)
        if digits is not None:
            return generate_digits(digits, SYSTEM_ENTROPY)
        return generate_words(DEFAULT_WORDS if words is None else words, SYSTEM_ENTROPY)

    def introduce(pinpal: Pinpal, entry: LabelEntry, secret: NewSecret, existing: bool) -> None:
        record = entry.current
        unknown = " (strength unknown: you chose it)" if record.bits is None else ""
        typer.echo(f"{entry.label}: {describe(record)}{unknown}")
        if existing:
            # The two entries just typed are its first practice.
            pinpal.answer(entry.label, CURRENT, secret.text)
            typer.echo("stored; practise it when `pinpal check` says so.")
            return
        typer.echo(f"your new secret: {secret.text}")
        typer.echo("type it once now; PINPal hides it bit by bit as you learn it.")
        drill(pinpal, TerminalConsole(), only=entry.label)

    word_option = typer.Option(
        None, "--words", help=f"Words from the EFF list (default {DEFAULT_WORDS})."
    )
    digit_option = typer.Option(None, "--digits", help="A PIN of this many digits.")
    existing_option = typer.Option(
        False, "--existing", help="Learn a secret you already have (typed twice, no echo)."
    )

    @app.command()
    def new(
        label: str = typer.Argument(..., help="A name for the secret, e.g. 'laptop'."),
        words: int | None = word_option,
        digits: int | None = digit_option,
        existing: bool = existing_option,
    ) -> None:
        """Generate a secret (or take yours) and start learning it."""
        pinpal = service()
        secret = choose_secret(words, digits, existing)
        entry = pinpal.new(label, secret)
        introduce(pinpal, entry, secret, existing)

    @app.command()
    def rotate(
        label: str = typer.Argument(..., help="The secret to replace."),
        words: int | None = word_option,
        digits: int | None = digit_option,
        existing: bool = existing_option,
    ) -> None:
        """Start a new secret under LABEL; the old one stays until the new is learned."""
        pinpal = service()
        secret = choose_secret(words, digits, existing)
        entry = pinpal.rotate(label, secret)
        introduce(pinpal, entry, secret, existing)

    def _drill(only: str | None) -> None:
        pinpal = service()
        summary = drill(pinpal, TerminalConsole(), only=only)
        if summary.practised == 0:
            upcoming = pinpal.next_due()
            if upcoming is None:
                typer.echo("no secrets yet: `pinpal new LABEL` starts one.")
            else:
                typer.echo(f"nothing is due; next practice {when(upcoming, clock())}.")
            return
        pinpal.refresh_due()
        typer.echo(f"{summary.correct} of {summary.practised} right.")

    @app.command("drill")
    def drill_command(
        label: str | None = typer.Argument(None, help="Practise only this secret."),
    ) -> None:
        """Practise every secret that is due (also: no command at all)."""
        _drill(label)

    @app.command()
    def check() -> None:
        """Print a marker when practice is due (for a prompt; always exits 0)."""
        quickcheck.check(now=settings["now"])

    @app.command("shell-init")
    def shell_init(
        shell: str = typer.Argument(..., help="bash, zsh or fish."),
    ) -> None:
        """Print a prompt snippet for your shell's rc file (no process per prompt)."""
        from pinpal.shellinit import snippet

        environ = {k: v for k, v in os.environ.items() if k != quickcheck.HOME_VARIABLE}
        typer.echo(
            snippet(shell, quickcheck.secrets_home(environ), quickcheck.marker(os.environ)),
            nl=False,
        )

    @app.command("list")
    def list_command(
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    ) -> None:
        """Your secrets: kind, strength, progress, next practice."""
        pinpal = service()
        now = clock()
        rows = [
            _row(entry.label, role, record, pinpal, now)
            for entry in pinpal.entries()
            for role, record in entry.records()
        ]
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        if not rows:
            typer.echo("no secrets yet: `pinpal new LABEL` starts one.")
            return
        for row in rows:
            name = row["label"] + ("" if row["role"] == CURRENT else " (old)")
            typer.echo(f"{name}: {row['description']}; next practice {when(row['due'], now)}")

    def _row(
        label: str, role: str, record: Memorization, pinpal: Pinpal, now: float
    ) -> dict[str, Any]:
        hidden, forgotten, total = record.progress
        return {
            "label": label,
            "role": role,
            "kind": record.kind.value,
            "unit": unit(record),
            "length": total,
            "bits": None if record.bits is None else round(record.bits, 1),
            "hidden": hidden,
            "forgotten": forgotten,
            "learned": record.learned,
            "practices": record.practices,
            "streak": record.streak,
            "due": math.ceil(record.due_at(pinpal.policy)),
            "due_now": record.due_at(pinpal.policy) <= now,
            "description": describe(record),
        }

    @app.command()
    def drop(
        label: str = typer.Argument(..., help="The secret to forget for good."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    ) -> None:
        """Forget a secret and its progress."""
        pinpal = service()
        pinpal.entry(label)
        if not yes and not typer.confirm(f"drop {label!r} and all its progress?", default=False):
            raise typer.Exit(1)
        pinpal.drop(label)
        typer.echo(f"dropped {label!r}.")

    @app.command("import-legacy")
    def import_legacy(
        service_name: str | None = typer.Option(
            None,
            "--service",
            help="Keyring service of the original PINPal (default: $PINPAL_KEYRING or 'pinpal').",
        ),
    ) -> None:
        """Carry the original PINPal's memorizations over, with their progress."""
        from pinpal.legacy import import_from_keyring

        pinpal = service()
        for line in import_from_keyring(pinpal, service_name):
            typer.echo(line)

    @app.command()
    def version() -> None:
        """Show the version."""
        from importlib.metadata import version as dist_version

        typer.echo(dist_version("pinpal"))

    return app
