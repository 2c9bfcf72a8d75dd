"""Entry point of ``tokenring`` and of ``secrets ring``.

``tokenring get SERVICE USER`` is answered first by the running agent through
a standard-library client: no typer, keyring, cryptography or attrs is
imported unless no agent answers. ``list``, ``slots``, ``status``, ``lock``
and ``stop`` have fast paths too (:mod:`tokenring.cli.fast`). Everything else
goes to the full CLI.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing: see tokenring.agent.client
if TYPE_CHECKING:
    from collections.abc import Sequence

    import typer


def app() -> typer.Typer:
    from tokenring.cli.app import build_app

    return build_app()


def _write(fd: int, text: str) -> None:
    data = text.encode("utf-8", "surrogateescape")
    while data:
        data = data[os.write(fd, data) :]


def _report(message: str) -> None:
    """One ``error:`` line on stderr, if there is a stderr to write it on."""
    if sys.stderr is not None:
        try:  # noqa: SIM105 - contextlib would be one more import on the fast path
            _write(2, f"error: {message}\n")
        except OSError:
            pass


def fast_get(args: Sequence[str]) -> int | None:
    """Exit status of ``get SERVICE USER`` through the agent; None to take the full path."""
    if len(args) != 3 or args[0] != "get" or any(arg.startswith("-") for arg in args[1:]):
        return None
    from tokenring.locations import agent_wanted

    if not agent_wanted() or os.environ.get("SECRETS_NO_FAST_PATH"):
        return None
    if sys.stdout is None:  # started with stdout closed (`>&-`): spend no touch for nothing
        _report("standard output is closed: nothing could be printed")
        return 1
    from tokenring.agent import client
    from tokenring.locations import vault_path

    service, user = args[1], args[2]
    request = {"op": "get", "service": service, "user": user, "vault": vault_path()}
    try:
        answer = client.request(request, on_event=client.show_event)
    except client.AgentUnavailable:
        return None
    except client.AgentGone as error:
        _report(f"{error}; run the command again")
        return 6
    except client.AgentFailure as failure:
        _report(failure.message)
        return failure.exit_code
    value = answer.get("value")
    if not isinstance(value, str):
        _report("the agent answered nonsense")
        return 6
    try:
        _write(1, value + "\n")
    except BrokenPipeError:  # the reader went away (`| head`): end quietly
        return 1
    except OSError as error:
        _report(f"cannot write to standard output: {error.strerror or error}")
        return 1
    return 0


def main(argv: Sequence[str] | None = None, prog_name: str | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    status = fast_get(args)
    if status is not None:
        return status
    from secrets_common.cli import invocation
    from secrets_common.cli.versions import fast_version

    invocation.record("tokenring", prog_name or "tokenring")
    status = fast_version(args, "tokenring")
    if status is None:
        from tokenring.cli.fast import answer

        status = answer(args)
    if status is not None:
        return status
    from secrets_common.cli.running import run

    return run(app, args, prog_name or "tokenring")


if __name__ == "__main__":
    sys.exit(main())
