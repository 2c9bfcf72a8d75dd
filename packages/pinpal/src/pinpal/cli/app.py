"""The commands of ``pinpal`` (= ``secrets pin``).

Wiring only: the real clock, the ``secrets`` module, the terminal, the vault
store and the calibrated hash cost are chosen here and handed down.
``--now`` replaces the clock for one command and rehearses: it shows what
would happen and stores nothing (:mod:`pinpal.storage.rehearsal`), unless
``PINPAL_TEST_CLOCK=1`` (end-to-end tests that learn a secret over simulated days).
"""

from __future__ import annotations

import contextlib
import hmac
import os
import time
from collections.abc import Iterator

import typer

from pinpal.cli import quickcheck
from pinpal.cli.drill import drill, practise
from pinpal.cli.listing import no_secrets, show
from pinpal.cli.terminal import (
    Interrupted,
    NoAnswerError,
    TerminalConsole,
    interruptible,
)
from pinpal.cli.wiring import open_service
from pinpal.cli.wording import describe, when
from pinpal.learning.entropy import SYSTEM_ENTROPY
from pinpal.learning.secretgen import (
    DEFAULT_WORDS,
    Kind,
    NewSecret,
    existing_secret,
    generate_digits,
    generate_words,
)
from pinpal.service import Due, Pinpal
from pinpal.storage import kdfcache
from pinpal.storage.codec import CURRENT, LabelEntry
from pinpal.storage.duefile import state_dir
from pinpal.storage.vaultstore import VAULT_FILE
from secrets_common.cli.invocation import command
from secrets_common.errors import UsageError
from secrets_common.home import HOME_VARIABLE

WEAK_BITS = 50

# Far enough for any rehearsal, near enough that a due time stays a short integer.
LATEST_TIME = 2.0**40


def _fixed_time(value: float | None) -> float | None:
    if value is not None and not 0 <= value <= LATEST_TIME:
        raise UsageError(f"--now must be a Unix time between 0 and {LATEST_TIME:.0f}, not {value}")
    return value


def generated_secret(words: int | None, digits: int | None) -> NewSecret:
    if words is not None and digits is not None:
        raise UsageError("choose one of --words, --digits and --existing")
    if digits is not None:
        return generate_digits(digits, SYSTEM_ENTROPY)
    return generate_words(DEFAULT_WORDS if words is None else words, SYSTEM_ENTROPY)


def users_secret(console: TerminalConsole) -> NewSecret:
    first = console.ask_secret("your secret: ")
    second = console.ask_secret("again: ")
    if not hmac.compare_digest(first.encode("utf-8"), second.encode("utf-8")):
        raise UsageError("the two entries differ; nothing was stored")
    return existing_secret(first)


def introduce(
    pinpal: Pinpal, console: TerminalConsole, entry: LabelEntry, secret: NewSecret, existing: bool
) -> None:
    record = entry.current
    unknown = " (strength unknown: you chose it)" if record.bits is None else ""
    console.say(f"{entry.label}: {describe(record)}{unknown}")
    # A PIN's length is the device's to decide; a passphrase's is the user's.
    if record.kind is Kind.WORDS and record.bits is not None and record.bits < WEAK_BITS:
        console.say(
            f"warning: {record.bits:.1f} bits is weak for a passphrase; "
            f"{WEAK_BITS} or more (4+ words) resists offline guessing."
        )
    if existing:
        # The two entries just typed are its first practice.
        pinpal.answer(entry.label, CURRENT, secret.text)
        console.say(f"stored; practise it when `{command('pinpal', 'check')}` says so.")
        return
    console.say(f"your new secret: {secret.text}")
    console.say("type it once now; PINPal hides it bit by bit as you learn it.")
    # Only the new secret: after `rotate`, the old one waits for its own turn.
    practise(pinpal, Due(entry.label, CURRENT, record), console)


def outcome(pinpal: Pinpal, made: LabelEntry, before: LabelEntry | None, failure: str) -> str:
    """Undo a `new`/`rotate` that got no answer; say exactly what stays."""
    label = made.label
    if pinpal.withdraw(made, before):
        if before is None:
            return f"{failure}; {label!r} was not stored"
        return f"{failure}; no new secret was stored: the one in use under {label!r} stays"
    if before is None:
        return f"{failure}; {label!r} is stored, with the answers given"
    return (
        f"{failure}; the new secret of {label!r} is stored, with the answers given; "
        "the old one stays in use until the new is learned"
    )


def build_app() -> typer.Typer:
    from secrets_common.cli.apps import new_app, version_option

    app = new_app(
        "PINPal: learn strong random secrets by spaced repetition.", no_args_is_help=False
    )
    fixed: list[float | None] = [None]
    console = TerminalConsole()

    def clock() -> float:
        return time.time() if fixed[0] is None else fixed[0]

    def service() -> Pinpal:
        return open_service(clock, fixed[0], lambda text: typer.echo(text, err=True))

    @contextlib.contextmanager
    def session() -> Iterator[Pinpal]:
        # One command, one re-key at most: settled as the command ends, on
        # its error and Ctrl-C paths too (each re-key costs touches under TokenRing).
        pinpal = service()
        with pinpal.batch():
            yield pinpal

    @app.callback(invoke_without_command=True)
    @interruptible
    def _group(
        context: typer.Context,
        now: float | None = typer.Option(
            None,
            "--now",
            metavar="EPOCH",
            help=(
                "Rehearse as if the clock read this Unix time: nothing is stored "
                "(unless PINPAL_TEST_CLOCK=1, for tests)."
            ),
        ),
        version: bool = version_option("pinpal"),  # noqa: ARG001 - eager, answers itself
    ) -> None:
        fixed[0] = _fixed_time(now)
        if context.invoked_subcommand is None:
            run_drill(None)

    def begin(
        label: str, words: int | None, digits: int | None, existing: bool, replacing: bool
    ) -> None:
        if existing and (words is not None or digits is not None):
            raise UsageError("choose one of --words, --digits and --existing")
        # Options are checked before the vault is opened (a touch, under
        # TokenRing), and the label before the user types a secret of their own.
        generated = None if existing else generated_secret(words, digits)
        directory = state_dir()
        fresh = [path for path in (directory, directory.parent) if not path.exists()]
        pinpal = service()
        try:
            with pinpal.batch():
                _begin(pinpal, label, generated, replacing, existing)
        finally:
            if pinpal.discarded:
                # The vault this command made is gone: so is all it wrote.
                if isinstance(pinpal.kdf_params, kdfcache.HashCost):
                    pinpal.kdf_params.withdraw()
                for path in fresh:
                    with contextlib.suppress(OSError):
                        path.rmdir()

    def _begin(
        pinpal: Pinpal, label: str, generated: NewSecret | None, replacing: bool, existing: bool
    ) -> None:
        if not replacing:
            pinpal.check_new(label)
        before = pinpal.entry(label) if replacing else None
        try:
            secret = users_secret(console) if generated is None else generated
        except NoAnswerError as error:
            raise NoAnswerError(f"{error}; nothing was stored") from None
        except KeyboardInterrupt:
            raise Interrupted("interrupted; nothing was stored") from None
        entry = pinpal.rotate(label, secret) if replacing else pinpal.new(label, secret)
        if isinstance(pinpal.kdf_params, kdfcache.HashCost) and not pinpal.rehearsal:
            pinpal.kdf_params.keep()
        try:
            introduce(pinpal, console, entry, secret, existing)
        except UsageError as error:
            # No answer, or one that is not text: the same class, what stays added.
            raise type(error)(outcome(pinpal, entry, before, str(error))) from None
        except KeyboardInterrupt:
            raise Interrupted(outcome(pinpal, entry, before, "interrupted")) from None

    word_option = typer.Option(
        None, "--words", metavar="COUNT", help=f"Words from the EFF list (default {DEFAULT_WORDS})."
    )
    digit_option = typer.Option(
        None, "--digits", metavar="COUNT", help="A PIN of this many digits."
    )
    existing_option = typer.Option(
        False, "--existing", help="Learn a secret you already have (typed twice, no echo)."
    )

    @app.command()
    @interruptible
    def new(
        label: str = typer.Argument(
            ..., metavar="LABEL", help="A name for the secret, e.g. 'laptop'."
        ),
        words: int | None = word_option,
        digits: int | None = digit_option,
        existing: bool = existing_option,
    ) -> None:
        """Generate a secret (or take yours) and start learning it."""
        begin(label, words, digits, existing, replacing=False)

    @app.command()
    @interruptible
    def rotate(
        label: str = typer.Argument(..., metavar="LABEL", help="The secret to replace."),
        words: int | None = word_option,
        digits: int | None = digit_option,
        existing: bool = existing_option,
    ) -> None:
        """Start a new secret under LABEL; the old one stays until the new is learned."""
        begin(label, words, digits, existing, replacing=True)

    def run_drill(only: str | None) -> None:
        with session() as pinpal:
            _run_drill(pinpal, only)

    def _run_drill(pinpal: Pinpal, only: str | None) -> None:
        summary = drill(pinpal, console, only=only)
        # Also repairs a due-time file that was damaged or deleted.
        pinpal.refresh_due()
        if summary.practised:
            console.say(f"{summary.correct} of {summary.practised} right.")
            return
        upcoming = pinpal.next_due(only)
        if upcoming is None:
            console.say(no_secrets())
        elif only is None:
            console.say(f"nothing is due; next practice {when(upcoming, clock())}.")
        else:
            console.say(f"{only!r} is not due; next practice {when(upcoming, clock())}.")

    @app.command("drill")
    @interruptible
    def drill_command(
        label: str | None = typer.Argument(
            None, metavar="LABEL", help="Practise only this secret."
        ),
    ) -> None:
        """Practise every secret that is due (also: no command at all)."""
        run_drill(label)

    @app.command("test")
    @interruptible
    def test_command(
        label: str = typer.Argument(..., help="The secret to check yourself on."),
    ) -> None:
        """Check yourself on LABEL now, due or not (e.g. before a trip)."""
        with session() as pinpal:
            entry = pinpal.entry(label)
            practise(pinpal, Due(label, CURRENT, entry.current), console)

    @app.command()
    def check() -> None:
        """Print a marker when practice is due (for a prompt; always exits 0)."""
        quickcheck.check(now=fixed[0])

    @app.command()
    def remind(
        install: bool = typer.Option(
            False, "--install", help="Run it every 30 minutes (systemd user timer, launchd)."
        ),
        uninstall: bool = typer.Option(False, "--uninstall", help="Remove that timer."),
    ) -> None:
        """Show a desktop notification when practice is due (always exits 0)."""
        from pinpal.remind import install as timer

        if install and uninstall:
            raise UsageError("choose one of --install and --uninstall")
        if install or uninstall:
            for line in (timer.install if install else timer.uninstall)(os.environ):
                console.say(line)
            return
        from pinpal.remind.notify import post
        from pinpal.remind.reminder import remind as run_remind

        run_remind(state_dir(), clock(), os.environ, post)

    @app.command("shell-init")
    def shell_init(
        shell: str = typer.Argument(..., metavar="SHELL", help="bash, zsh or fish."),
    ) -> None:
        """Print a prompt snippet for your shell's rc file (no process per prompt)."""
        from pinpal.cli.shellinit import snippet

        environ = {k: v for k, v in os.environ.items() if k != HOME_VARIABLE}
        typer.echo(
            snippet(shell, quickcheck.secrets_home(environ), quickcheck.marker(os.environ)),
            nl=False,
        )

    @app.command("list")
    @interruptible
    def list_command(
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    ) -> None:
        """Your secrets: kind, strength, progress, next practice."""
        show(service(), clock(), console, as_json)

    @app.command()
    @interruptible
    def drop(
        label: str = typer.Argument(..., metavar="LABEL", help="The secret to forget for good."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    ) -> None:
        """Forget a secret and its progress."""
        with session() as pinpal:
            pinpal.entry(label)
            if not yes and not console.confirm(f"drop {label!r} and all its progress?"):
                # The user's own answer, not a failure.
                console.say(f"kept {label!r}: nothing was dropped.")
                return
            pinpal.drop(label)
        console.say(f"dropped {label!r}.")

    @app.command("start-over")
    @interruptible
    def start_over_command(
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    ) -> None:
        """Set the vault aside (renamed, not deleted) and start a new one with `new`."""
        from pinpal.storage.startover import start_over

        directory = state_dir()
        question = f"set {directory / VAULT_FILE} aside and start a new, empty vault?"
        if not yes and not console.confirm(question):
            console.say("nothing was changed.")
            return
        for line in start_over(directory, time.time()) or ["there was no vault to set aside."]:
            console.say(line)
        console.say(f"`{command('pinpal', 'new', 'LABEL')}` starts the new vault.")

    @app.command("import-legacy")
    @interruptible
    def import_legacy(
        service_name: str | None = typer.Option(
            None,
            "--service",
            metavar="SERVICE",
            help="Keyring service of the original PINPal (default: $PINPAL_KEYRING or 'pinpal').",
        ),
    ) -> None:
        """Carry the original PINPal's memorizations over, with their progress."""
        from pinpal.legacy.importer import import_from_keyring

        with session() as pinpal:
            report, entry = import_from_keyring(pinpal, service_name)
        for line in report.notes:
            console.say(line)
        for line in report.skipped:
            typer.echo(line, err=True)
        console.say(report.summary)
        if report.imported:
            console.say(
                f"the original entry ({entry}) is left in the keyring; remove it when done."
            )
        report.check_complete()

    @app.command()
    def version() -> None:
        """Show the version."""
        from importlib.metadata import version as dist_version

        typer.echo(dist_version("pinpal"))

    return app
