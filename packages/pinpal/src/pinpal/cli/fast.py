"""``pinpal list [--json]`` without typer: the same output as :func:`pinpal.cli.listing.show`.

From the listing file when it stands for the vault as it is now (then no
keyring is asked, nor imported); otherwise from the vault, as typer's
``list`` does. Any other command line, ``--now`` included, goes to typer,
and so does everything when ``SECRETS_NO_FAST_PATH`` is set.
"""

from __future__ import annotations

TYPE_CHECKING = False  # see pinpal.__main__: typing is too heavy for the fast paths
if TYPE_CHECKING:
    from collections.abc import Sequence


def _list(as_json: bool) -> None:
    import time

    from pinpal.cli.listing import show_listed
    from pinpal.cli.terminal import TerminalConsole, interruptible

    @interruptible
    def body() -> None:
        console = TerminalConsole()
        now = time.time()
        if show_listed(console.say, now, as_json):
            return
        from pinpal.cli.listing import show
        from pinpal.cli.wiring import open_service

        show(open_service(time.time, None, console.say), now, console, as_json)

    body()


def answer(args: Sequence[str]) -> int | None:
    """The exit status of ``args`` answered without typer; None to take the full CLI."""
    if list(args) not in (["list"], ["list", "--json"]):
        return None
    from secrets_common.cli.running import run_fast

    return run_fast(lambda: _list(len(args) == 2))
