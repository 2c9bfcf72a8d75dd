"""``secrets token list``: the connected security keys, one row each.

Run by the typer command and by the fast path of ``secrets token list``
alike (:mod:`secrets_common.cli.token_group`). Standard library only at
import; python-fido2 loads when the keys are asked.
"""

from __future__ import annotations

import sys

from secrets_common.cli import plainjson
from secrets_common.cli.output import emit

TYPE_CHECKING = False  # typing costs the fast path more than this whole module
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import TypeVar

    from secrets_common.fido.devices import Authenticator
    from secrets_common.fido.info import KeyDetails

    _T = TypeVar("_T")


def with_keys(use: Callable[[Sequence[Authenticator]], _T]) -> _T:
    """Run ``use`` on the selected keys (maybe none), closing them afterwards."""
    from secrets_common.fido.selection import announce, discovery, selection_from

    selection = selection_from()
    announce(selection)
    authenticators = discovery(selection)()
    try:
        return use(authenticators)
    finally:
        for authenticator in authenticators:
            authenticator.close()


def describe_all(authenticators: Sequence[Authenticator]) -> list[KeyDetails]:
    from secrets_common.fido.info import describe

    return [describe(authenticator) for authenticator in authenticators]


def _yes_no(value: bool | None, yes: str, no: str, missing: str) -> str:
    return missing if value is None else (yes if value else no)


def _hmac_cell(details: KeyDetails) -> str:
    if details.error is not None:
        return "?"
    if details.hmac_secret_mc:
        return "yes (+mc)"
    return "yes" if details.hmac_secret else "no"


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def show(as_json: bool) -> None:
    """Print the list (or JSON); no key is an answer too: exit 0, a hint on stderr."""
    details = with_keys(describe_all)
    if as_json:
        emit(plainjson.dumps([{"index": n, **d.summary()} for n, d in enumerate(details, 1)]))
    elif details:
        rows = [["#", "NAME", "TRANSPORT", "HMAC-SECRET", "PIN", "PATH"]]
        rows += [
            [
                str(number),
                d.name,
                d.transport,
                _hmac_cell(d),
                _yes_no(d.pin_set, "set", "not set", "-"),
                d.path,
            ]
            for number, d in enumerate(details, 1)
        ]
        emit(table(rows))
    if not details:
        from secrets_common.fido.devices import NO_DEVICE_MESSAGE
        from secrets_common.fido.interaction import say

        say(sys.stderr, NO_DEVICE_MESSAGE)
