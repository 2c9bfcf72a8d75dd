"""SECRETS_SOFT_PRESENCE as a touch that can be waited for and cancelled.

``deny`` refuses every touch; ``after:SECONDS`` grants it after that long,
as a person reaching for the key would, unless the request is cancelled
first (python-fido2's event, a CTAPHID_CANCEL, an NFC cancel); unset grants
at once. The setting is read when the touch is asked for.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping

from secrets_common.soft.session import (
    PRESENCE_DENY,
    PRESENCE_VARIABLE,
    presence_from_environment,
    presence_setting,
)

PRESENCE_AFTER = "after:"


def after_seconds(setting: str) -> float | None:
    """The delay of an ``after:SECONDS`` setting, ``None`` for any other setting.

    Raises ValueError for ``after:`` followed by anything but a finite,
    non-negative number of seconds.
    """
    if not setting.startswith(PRESENCE_AFTER):
        return None
    text = setting[len(PRESENCE_AFTER) :].strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{PRESENCE_VARIABLE}: {text!r} is not a number of seconds")
    return seconds


def check_setting(environ: Mapping[str, str]) -> None:
    """ValueError (one sentence) unless SECRETS_SOFT_PRESENCE is unset, deny or after:SECONDS."""
    setting = presence_setting(environ)
    if setting in ("", PRESENCE_DENY):
        return
    try:
        if after_seconds(setting) is not None:
            return
    except ValueError:
        pass
    raise ValueError(
        f"{PRESENCE_VARIABLE}={environ[PRESENCE_VARIABLE]!r} is not understood: set it to"
        f" {PRESENCE_DENY} to refuse every touch, {PRESENCE_AFTER}SECONDS to grant each one"
        " after a delay, or leave it unset"
    )


def environment_presence(
    cancelled: threading.Event | None, environ: Mapping[str, str] | None = None
) -> Callable[[], bool]:
    """The touch SECRETS_SOFT_PRESENCE describes, for one request cancelled by ``cancelled``."""

    def granted() -> bool:
        env = os.environ if environ is None else environ
        if not presence_from_environment(env):
            return False
        setting = presence_setting(env)
        try:
            delay = after_seconds(setting)
        except ValueError:
            # Checked when the key was selected; a value changed since refuses.
            return False
        if delay is None:
            return True
        return not (cancelled or threading.Event()).wait(delay)

    return granted
