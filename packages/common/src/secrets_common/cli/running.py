"""Run a typer application so that expected failures are one line on stderr.

Every console script of the toolkit goes through :func:`run`. It turns a
:class:`~secrets_common.errors.SecretsError` into ``error: <message>`` and its
exit status, keeps click's own usage errors, and hides tracebacks unless
``--debug`` is given or ``SECRETS_DEBUG`` is 1, true or yes.
"""

from __future__ import annotations

import os
import sys

from secrets_common.errors import SecretsError

# Not `typing.TYPE_CHECKING`: the fast paths (:func:`run_fast`) import this
# module, and typing alone costs them more than their own work.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import typer

DEBUG_FLAG = "--debug"
DEBUG_VARIABLE = "SECRETS_DEBUG"
EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


FAST_PATH_VARIABLE = "SECRETS_NO_FAST_PATH"
"""Set (to anything but empty): every command line goes through typer, for tests and doubt."""

DEBUG_ON = ("1", "true", "yes", "on")
DEBUG_OFF = ("", "0", "false", "no", "off")


def debug_variable() -> bool | None:
    """``SECRETS_DEBUG`` as a switch; None for a value that is neither on nor off."""
    value = os.environ.get(DEBUG_VARIABLE, "").strip().lower()
    if value in DEBUG_ON:
        return True
    return False if value in DEBUG_OFF else None


def split_debug(argv: Sequence[str]) -> tuple[bool, list[str]]:
    """Remove ``--debug`` from the options before the first ``--``."""
    args = list(argv)
    end = args.index("--") if "--" in args else len(args)
    found = DEBUG_FLAG in args[:end]
    if found:
        args = [a for a in args[:end] if a != DEBUG_FLAG] + args[end:]
    return found or bool(debug_variable()), args


class Declined(Exception):
    """A fast path cannot answer this command line as the full CLI would: take the full CLI."""


def fast_paths_allowed() -> bool:
    """Whether a command may be answered without typer.

    Not with tracebacks asked for (or a ``SECRETS_DEBUG`` the full runner
    must refuse), and not with ``SECRETS_NO_FAST_PATH`` set.
    """
    return debug_variable() is False and not os.environ.get(FAST_PATH_VARIABLE)


def run_fast(body: Callable[[], None]) -> int | None:
    """Run a command's body as :func:`run` would, without typer; None if it declined.

    The same one-line errors and exit statuses as :func:`run` for everything
    ``body`` raises: a fast path differs from the full CLI only in what it
    imports.
    """
    if not fast_paths_allowed():
        return None
    try:
        body()
        if sys.stdout is not None:
            sys.stdout.flush()
    except Declined:
        return None
    except SecretsError as error:
        report(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        report("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 1
    except OSError as error:
        report(_io_failure(error))
        return 1
    return 0


def _io_failure(error: OSError) -> str:
    where = f": {error.filename}" if error.filename else ""
    return f"input/output failed ({error.strerror or type(error).__name__}){where}"


def report(message: str) -> None:
    """Write one ``error:`` line to stderr (nowhere, if stderr is gone)."""
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    try:
        sys.stderr.write(f"error: {first_line}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def _usage_error(error: Exception) -> tuple[str, int] | None:
    """The one-line message and status of a click usage error, if ``error`` is one.

    typer vendors click privately, so its exceptions are recognised by the
    interface every click exception has rather than by class.
    """
    format_message = getattr(error, "format_message", None)
    exit_code = getattr(error, "exit_code", None)
    if not callable(format_message) or not isinstance(exit_code, int):
        return None
    message = str(format_message()).strip()
    context = getattr(error, "ctx", None)
    command_path = getattr(context, "command_path", None)
    if message and command_path:
        message = f"{message} (see '{command_path} --help')"
    return message, exit_code


def run(app_factory: Callable[[], typer.Typer], argv: Sequence[str], prog_name: str) -> int:
    """Build the application, run it on ``argv`` and return the exit status.

    Usage errors, the toolkit's errors, Ctrl-C and end of input all become
    one ``error:`` line; tracebacks are kept for ``--debug``. A bug's message
    is not printed either (it might quote what the user typed).
    """
    if debug_variable() is None:
        shown = os.environ.get(DEBUG_VARIABLE, "")
        report(f"{DEBUG_VARIABLE} must be 1, true or yes (or 0, false, no), not {shown!r}")
        return EXIT_USAGE
    import typer

    debug, args = split_debug(argv)
    try:
        result = app_factory()(args=args, prog_name=prog_name, standalone_mode=False)
        # Output that cannot be written must fail here, not at interpreter exit.
        if sys.stdout is not None:  # started with stdout closed (`>&-`)
            sys.stdout.flush()
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except SecretsError as error:
        if debug:
            raise
        report(str(error))
        return error.exit_code
    except typer.Abort:
        report("aborted (no answer)")
        return 1
    except KeyboardInterrupt:
        report("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 1
    except OSError as error:
        # The toolkit's own files translate their errors; what escapes is I/O
        # such as a full disk behind standard output.
        if debug:
            raise
        report(_io_failure(error))
        return 1
    except Exception as error:
        if type(error).__name__ == "NoArgsIsHelpError":
            # A bare group: its help is the answer, on stdout, with the usage status.
            sys.stdout.write(str(getattr(error, "message", "")).rstrip("\n") + "\n")
            sys.stdout.flush()
            return EXIT_USAGE
        usage = _usage_error(error)
        if usage is not None and not debug:
            message, status = usage
            if message:  # empty for a bare group, whose help typer has just printed
                report(message)
            return status
        if debug:
            raise
        report(f"unexpected {type(error).__name__} (a bug: run with --debug for details)")
        return EXIT_INTERNAL
    if result == EXIT_INTERRUPTED:
        # typer turns Ctrl-C into Exit(130), which arrives here as a status.
        report("interrupted")
    return result if isinstance(result, int) else 0
