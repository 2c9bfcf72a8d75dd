"""Entry point of ``pinpal`` and of ``secrets pin``.

Kept light: ``pinpal check`` runs in every shell prompt, so exactly that
command line is answered by :mod:`pinpal.cli.quickcheck` before anything heavy
(typer, keyring, cryptography, attrs) is imported; ``pinpal list`` skips
typer (:mod:`pinpal.cli.fast`).
"""

from __future__ import annotations

import sys

# Not `from typing import TYPE_CHECKING`: importing typing alone costs a
# third of a bare interpreter start. Type checkers honour this spelling too.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    import typer


def app() -> typer.Typer:
    from pinpal.cli.app import build_app

    return build_app()


def main(argv: Sequence[str] | None = None, prog_name: str | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["check"]:
        from pinpal.cli.quickcheck import check

        return check()
    from secrets_common.cli import invocation
    from secrets_common.cli.versions import fast_version

    invocation.record("pinpal", prog_name or "pinpal")
    status = fast_version(args, "pinpal")
    if status is None:
        from pinpal.cli.fast import answer

        status = answer(args)
    if status is not None:
        return status
    from secrets_common.cli.running import run

    # Bare `pinpal` practises what is due, like the original.
    return run(app, args or ["drill"], prog_name or "pinpal")


if __name__ == "__main__":
    sys.exit(main())
