"""Entry point of ``pinpal`` and of ``secrets pin``.

Kept light: the fast path must not import typer, keyring or cryptography.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def app() -> typer.Typer:
    from pinpal.cli import build_app

    return build_app()


def main(argv: Sequence[str] | None = None, prog_name: str | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from secrets_common.cli.running import run

    return run(app, args, prog_name or "pinpal")


if __name__ == "__main__":
    sys.exit(main())
