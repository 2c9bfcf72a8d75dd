"""Where per-user service definitions go, and how their words are written.

Shared by the tools that offer ``--install``: PINPal's reminder timer and the
TokenRing agent. systemd user units live in ``$XDG_CONFIG_HOME/systemd/user``
(``~/.config`` when unset or relative, as the XDG spec says); launchd agents
in ``~/Library/LaunchAgents``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


def systemd_word(word: str) -> str:
    """One word of an ``ExecStart=`` or ``Environment=`` line, quoted for systemd."""
    # C escapes inside the quotes; % starts a specifier and $ a variable.
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def systemd_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "systemd" / "user"


def launchd_dir() -> Path:
    return Path.home() / "Library" / "LaunchAgents"


def write_systemd_units(directory: Path, units: Mapping[str, str]) -> list[str]:
    """Write each unit file into ``directory``; one "wrote PATH" line each."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in units.items():
        (directory / name).write_text(text, encoding="utf-8")
        written.append(f"wrote {directory / name}")
    return written


def write_launchd_plist(target: Path, plist: bytes) -> str:
    """Write a launchd agent's property list; the "wrote PATH" line."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(plist)
    return f"wrote {target}"


def remove_files(targets: Sequence[Path]) -> list[str]:
    """Remove what exists of ``targets`` (dangling links too); one "removed PATH" line each."""
    removed = [f"removed {path}" for path in targets if path.is_symlink() or path.exists()]
    for path in targets:
        path.unlink(missing_ok=True)
    return removed
