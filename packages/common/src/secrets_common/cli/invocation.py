"""The name a tool's commands were invoked by, so that hints name what the user typed.

``tokenring init`` and ``secrets ring init`` are one command. A hint that
says ``tokenring init`` to someone who typed ``secrets ring`` names a command
they may not have on their PATH. Each entry point records here how it was
reached (its ``prog_name``); a message that suggests a command builds it with
:func:`command` when it is raised. Standard library only, and nothing is
imported until a hint is built.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself costs more than `pinpal check`
if TYPE_CHECKING:
    from collections.abc import Iterable

# Tool (distribution) name -> how its commands are invoked in this process.
_invoked: dict[str, str] = {}


def record(tool: str, prog_name: str) -> None:
    """Remember that ``tool``'s commands run as ``prog_name`` (``secrets ring``)."""
    _invoked[tool] = prog_name


def record_all(names: Iterable[tuple[str, str]]) -> None:
    """Record several tools at once: ``(tool, prog_name)`` pairs."""
    for tool, prog_name in names:
        record(tool, prog_name)


def prog_name(tool: str) -> str:
    """How ``tool``'s commands are invoked here: its own script unless recorded otherwise."""
    return _invoked.get(tool, tool)


def by_the_toolkit() -> bool:
    """Whether one of the toolkit's own commands runs this process (and recorded itself).

    False in a process of another program that merely loads the toolkit, such
    as keyring's command or twine with TokenRing as its backend.
    """
    return bool(_invoked)


def command(tool: str, *words: str) -> str:
    """A command line of ``tool`` as the user would type it, each word quoted for a shell.

    ``command("pinpal", "rotate", "password manager")`` is
    ``pinpal rotate 'password manager'``, or ``secrets pin rotate 'password
    manager'`` when PINPal was reached through ``secrets``.
    """
    from shlex import quote

    return " ".join([prog_name(tool), *(quote(word) for word in words)])


def reset() -> None:
    """Forget what was recorded (for a process that runs several command lines)."""
    _invoked.clear()
