"""Where per-user service definitions go, and how their words are written.

Shared by the tools that offer ``--install``: PINPal's reminder timer and the
TokenRing agent. systemd user units live in ``$XDG_CONFIG_HOME/systemd/user``
(``~/.config`` when unset or relative, as the XDG spec says); launchd agents
in ``~/Library/LaunchAgents``.
"""

from __future__ import annotations

from collections.abc import Mapping
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
