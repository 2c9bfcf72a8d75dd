"""Run a typer application so that expected failures are one line on stderr.

Every console script of the toolkit goes through :func:`run`. It turns a
:class:`~secrets_common.errors.SecretsError` into ``error: <message>`` and its
exit status, keeps click's own usage errors, and hides tracebacks unless
``--debug`` is given or ``SECRETS_DEBUG=1`` is set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from secrets_common.errors import SecretsError

if TYPE_CHECKING:
    import typer

DEBUG_FLAG = "--debug"
DEBUG_VARIABLE = "SECRETS_DEBUG"
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def split_debug(argv: Sequence[str]) -> tuple[bool, list[str]]:
    """Remove ``--debug`` from the options before the first ``--``."""
    args = list(argv)
    end = args.index("--") if "--" in args else len(args)
    found = DEBUG_FLAG in args[:end]
    if found:
        args = [a for a in args[:end] if a != DEBUG_FLAG] + args[end:]
    return found or os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"), args


def report(message: str) -> None:
    """Write one ``error:`` line to stderr."""
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    sys.stderr.write(f"error: {first_line}\n")
    sys.stderr.flush()


def run(app_factory: Callable[[], typer.Typer], argv: Sequence[str], prog_name: str) -> int:
    """Build the application, run it on ``argv`` and return the exit status.

    typer (click) reports its own usage errors and handles ``Exit``; this
    wrapper adds the toolkit's errors and keeps tracebacks for ``--debug``.
    """
    debug, args = split_debug(argv)
    try:
        app_factory()(args=args, prog_name=prog_name)
    except SystemExit as exit_:
        code = exit_.code
        if code == EXIT_INTERRUPTED:
            # typer turns Ctrl-C into a silent exit 130; say what happened.
            report("interrupted")
        return code if isinstance(code, int) else (0 if code is None else 1)
    except SecretsError as error:
        if debug:
            raise
        report(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        report("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 1
    except Exception as error:
        if debug:
            raise
        report(f"unexpected {type(error).__name__}: {error} (run with --debug for details)")
        return EXIT_INTERNAL
    return 0
