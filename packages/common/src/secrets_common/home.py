"""Where all state lives, as a plain string: the fast paths' one source of truth.

Standard library only (``os``, ``sys``) and no :mod:`pathlib` or
:mod:`typing`: ``pinpal check`` and ``tokenring get`` through the agent import
this and nothing heavier. :func:`secrets_common.paths.secrets_home` wraps it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs more than a whole `pinpal check`
if TYPE_CHECKING:
    from collections.abc import Mapping

HOME_VARIABLE = "SECRETS_HOME"
APP_NAME = "secrets-toolkit"


def secrets_home_text(environ: Mapping[str, str]) -> str:
    """``$SECRETS_HOME``, else the platform's per-user data directory."""
    override = environ.get(HOME_VARIABLE)
    if override:
        return os.path.expanduser(override)
    if sys.platform != "linux":
        import platformdirs

        return platformdirs.user_data_dir(APP_NAME, appauthor=False)
    # Importing platformdirs costs more than a whole `pinpal check`; on Linux
    # its answer is the XDG rule below (a test holds the two equal).
    xdg = environ.get("XDG_DATA_HOME", "").strip()
    return os.path.join(xdg or os.path.expanduser("~/.local/share"), APP_NAME)
