"""``secrets``: one command over every installed tool of the toolkit.

Command groups come from the ``secrets_common.cli`` entry-point group. Each
entry names a *light* module with two functions:

* ``main(argv, prog_name) -> int`` runs the group (and may take a fast path
  that never imports typer), and
* ``app() -> typer.Typer`` builds the group's full application for help.

``secrets GROUP ...`` loads only that group's module and hands it the rest of
the command line; only ``secrets --help`` builds every group. The group is
found in the installed metadata without :mod:`importlib.metadata` where that
can be done (:mod:`secrets_common.cli.plugins`), so that a group's fast path
stays fast through ``secrets`` too.
"""

from __future__ import annotations

import sys
from types import ModuleType

from secrets_common.cli import invocation, plugins
from secrets_common.cli.running import DEBUG_FLAG, fast_paths_allowed, report, run, split_debug

# Not `typing.TYPE_CHECKING`: `secrets ring status` must not pay for typing
# (nor for importlib.metadata: see secrets_common.cli.plugins).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.metadata import EntryPoint
    from typing import Protocol

    import typer

GROUP = "secrets_common.cli"


if TYPE_CHECKING:

    class CommandGroup(Protocol):
        """What a ``secrets_common.cli`` entry point must load to."""

        def main(self, argv: Sequence[str] | None = None, prog_name: str | None = None) -> int: ...

        def app(self) -> typer.Typer: ...


def installed_groups() -> dict[str, EntryPoint]:
    """The command groups of the installed distributions, by name."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load_group(entry: EntryPoint) -> CommandGroup | None:
    """Import a group's module; a broken plugin is reported, not fatal."""
    try:
        loaded = entry.load()
    except Exception as error:  # a broken plugin must not break the other groups
        report(f"cannot load command group {entry.name!r} ({entry.value}): {error}")
        return None
    return _checked(entry.name, entry.value, loaded)


def _checked(name: str, reference: str, loaded: object) -> CommandGroup | None:
    if not isinstance(loaded, ModuleType) or not callable(getattr(loaded, "main", None)):
        report(f"command group {name!r} ({reference}) is not a command module")
        return None
    return loaded


def _root_app(groups: dict[str, EntryPoint]) -> Callable[[], typer.Typer]:
    def build() -> typer.Typer:
        import typer

        from secrets_common.cli.apps import new_app

        root = new_app(
            "Secrets that deserve more care: TokenRing, PINPal and their security keys.",
            name="secrets",
        )

        def show_version(value: bool) -> None:
            if value:
                from importlib.metadata import version as dist_version

                typer.echo(f"secrets {dist_version('secrets-common')}")
                raise typer.Exit(0)

        @root.callback()
        def _options(
            debug: bool = typer.Option(
                False, "--debug", help="Show tracebacks (also SECRETS_DEBUG=1)."
            ),
            version: bool = typer.Option(
                False,
                "--version",
                callback=show_version,
                is_eager=True,
                help="Show the version and exit.",
            ),
        ) -> None:
            """Secrets that deserve more care."""

        for name in sorted(groups):
            module = load_group(groups[name])
            if module is None:
                continue
            try:
                group_app = module.app()
            except Exception as error:  # one broken group must not hide the others
                report(f"cannot build command group {name!r}: {error}")
                continue
            root.add_typer(group_app, name=name)
        return root

    return build


def _scanned_group(rest: list[str], debug: bool) -> int | None:
    """Run ``secrets GROUP ...`` found without importlib.metadata; None if it cannot be."""
    if debug or not rest or not fast_paths_allowed():
        return None
    groups = plugins.scan(GROUP)
    if groups is None or rest[0] not in groups:
        return None
    invocation.record_all(
        (dist, f"secrets {name}") for name, (_ref, dist) in groups.items() if dist
    )
    reference, _dist = groups[rest[0]]
    try:
        loaded = plugins.load(reference)
    except Exception as error:  # a broken plugin must not break the other groups
        report(f"cannot load command group {rest[0]!r} ({reference}): {error}")
        return 1
    module = _checked(rest[0], reference, loaded)
    if module is None:
        return 1
    return module.main(rest[1:], prog_name=f"secrets {rest[0]}")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug, rest = split_debug(args)
    status = _scanned_group(rest, debug)
    if status is not None:
        return status
    groups = installed_groups()
    # Every tool's hints name it as `secrets GROUP`, whichever group raised them.
    invocation.record_all(
        (entry.dist.name, f"secrets {name}") for name, entry in groups.items() if entry.dist
    )
    if rest and rest[0] in groups:
        module = load_group(groups[rest[0]])
        if module is None:
            return 1
        forwarded = ([DEBUG_FLAG] if debug else []) + rest[1:]
        return module.main(forwarded, prog_name=f"secrets {rest[0]}")
    return run(_root_app(groups), ([DEBUG_FLAG] if debug else []) + rest, "secrets")


if __name__ == "__main__":
    sys.exit(main())
