"""Command lines answered without typer: the agent's commands, ``list`` and ``slots``.

Exactly these shapes, each with the same body as its typer command
(:mod:`tokenring.cli.plain`) and the same errors (:func:`run_fast`):

* ``lock``, ``stop``, ``status [--json]``: the agent, or the note that none runs;
* ``list [--json]`` through a running agent; without one (or for another
  vault, or with no vault file) the full CLI works in-process;
* ``slots [--json]``: reads the vault file, no touch, no typer.

Any other argument (``--vault``, ``--help``, ``--debug``) goes to typer, and so
does everything when ``SECRETS_NO_FAST_PATH`` is set. Standard library only
until a body needs more.
"""

from __future__ import annotations

import os

from secrets_common.cli.running import Declined, run_fast
from tokenring.cli import plain

TYPE_CHECKING = False  # see tokenring.agent.client: typing is too heavy for the fast paths
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

VAULT_VARIABLE = "TOKENRING_VAULT"


def _vault() -> str:
    # As typer reads the --vault option's variable (an empty one is unset),
    # and as TokenRing names the vault to its agent: absolute.
    return os.path.abspath(plain.vault_path(os.environ.get(VAULT_VARIABLE) or None))


def _list(as_json: bool) -> None:
    from tokenring.agent import client, remote
    from tokenring.locations import agent_wanted, socket_path

    vault = _vault()
    if not agent_wanted() or not os.path.exists(vault):
        raise Declined  # in-process, or the hint how to create a vault
    try:
        answer = remote.call(
            {"op": "list", "vault": vault}, path=socket_path(), on_event=client.show_event
        )
    except remote.AgentUnavailableError:
        raise Declined from None
    entries = answer.get("entries")
    if not isinstance(entries, list) or not all(
        isinstance(pair, list) and len(pair) == 2 for pair in entries
    ):
        from secrets_common.errors import AgentError

        raise AgentError("the agent answered nonsense")
    plain.show_entries([(str(s), str(u)) for s, u in entries], as_json)


def _slots(as_json: bool) -> None:
    plain.slots(plain.vault_path(os.environ.get(VAULT_VARIABLE) or None), as_json)


def _body(args: Sequence[str]) -> Callable[[], None] | None:
    shape = list(args)
    as_json = shape[1:] == ["--json"]
    if len(shape) == 1 or (len(shape) == 2 and as_json):
        command = shape[0]
        if command == "status":
            return lambda: plain.status(as_json)
        if command == "list":
            return lambda: _list(as_json)
        if command == "slots":
            return lambda: _slots(as_json)
    if shape == ["lock"]:
        return plain.lock
    if shape == ["stop"]:
        return plain.stop
    return None


def answer(args: Sequence[str]) -> int | None:
    """The exit status of ``args`` answered without typer; None to take the full CLI."""
    body = _body(args)
    return None if body is None else run_fast(body)
