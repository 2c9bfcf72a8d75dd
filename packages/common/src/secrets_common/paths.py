"""Where the toolkit keeps its state, and how it creates private directories."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from secrets_common.errors import VaultError
from secrets_common.home import secrets_home_text


def secrets_home(environ: Mapping[str, str] | None = None) -> Path:
    """The root of all state: ``$SECRETS_HOME`` or the per-user data directory.

    Only computes the path; :func:`ensure_private_dir` creates it.
    """
    return Path(secrets_home_text(os.environ if environ is None else environ))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700; refuse one others can write to.

    A directory that already exists keeps its mode (a 0755 home may be
    readable, its secret files are 0600) unless group or others can write to
    it, which would let them swap our files, or it belongs to another user:
    both are errors, and so is anything that stops the directory from being made.
    """
    try:
        # One at a time: mkdir(parents=True) would give new parents the umask's mode.
        for directory in reversed([path, *path.parents]):
            if not directory.exists():
                directory.mkdir(mode=0o700, exist_ok=True)
        info = path.stat()
    except OSError as error:
        raise VaultError(f"cannot create the directory {path}: {error.strerror or error}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise VaultError(f"{path} is not a directory")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise VaultError(f"{path} is writable by other users; run: chmod 700 {path}")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise VaultError(f"{path} belongs to another user")
    return path


def home_dir(environ: Mapping[str, str] | None = None) -> Path:
    """:func:`secrets_home`, created 0700 if it does not exist yet."""
    return ensure_private_dir(secrets_home(environ))
