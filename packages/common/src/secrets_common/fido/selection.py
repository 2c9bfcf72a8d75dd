"""Which authenticators the toolkit uses: ``SECRETS_AUTHENTICATOR``.

Unset (or empty): the security keys plugged in. ``soft:PATH`` uses the
software authenticator with that state file instead; ``softhid:PATH`` puts
it behind python-fido2's USB HID framing (CtapHidDevice: channels,
keepalives, cancel), as a USB key is used; ``soft:A,softhid:B`` offers
several, as if several keys were plugged in. Selecting a software
authenticator prints a one-line warning on stderr, once per process.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secrets_common.errors import UsageError
from secrets_common.fido.devices import (
    Authenticator,
    Discovery,
    hardware_authenticators,
    soft_authenticators,
)
from secrets_common.fido.interaction import Interaction, default_interaction, say

if TYPE_CHECKING:
    from secrets_common.keysource import KeySource

DEFAULT_TIMEOUT = 30.0
"""Seconds a key may wait for a touch before the request is cancelled."""

VARIABLE = "SECRETS_AUTHENTICATOR"
SOFT_SCHEME = "soft:"
SOFT_HID_SCHEME = "softhid:"


@dataclass(frozen=True, slots=True)
class Selection:
    """The authenticators asked for: software state files, or ``None`` for hardware."""

    soft_paths: tuple[Path, ...] | None
    hid_paths: frozenset[Path] = frozenset()
    """Those of ``soft_paths`` to reach through the HID framing (``softhid:``)."""

    @property
    def is_soft(self) -> bool:
        return self.soft_paths is not None


def parse_selection(value: str | None) -> Selection:
    """Parse a ``SECRETS_AUTHENTICATOR`` value; :class:`UsageError` if malformed."""
    if value is None or not value.strip():
        return Selection(soft_paths=None)
    paths: list[Path] = []
    hid: set[Path] = set()
    for item in value.split(","):
        entry = item.strip()
        scheme = next((s for s in (SOFT_HID_SCHEME, SOFT_SCHEME) if entry.startswith(s)), None)
        if scheme is None or not entry[len(scheme) :].strip():
            raise UsageError(
                f"{VARIABLE}={value!r} is not understood: expected soft:PATH or softhid:PATH"
                " (several separated by commas), or leave it unset to use security keys"
            )
        path = Path(entry[len(scheme) :].strip()).expanduser().absolute()
        if path in paths:
            raise UsageError(f"{VARIABLE} names {path} twice: one state file is one key")
        paths.append(path)
        if scheme == SOFT_HID_SCHEME:
            hid.add(path)
    return Selection(soft_paths=tuple(paths), hid_paths=frozenset(hid))


def selection_from(environ: Mapping[str, str] | None = None) -> Selection:
    """The selection in ``environ``; :class:`UsageError` if it is malformed.

    With software keys selected, SECRETS_SOFT_PRESENCE is checked too: a
    misspelt ``deny`` would otherwise grant every touch without a word.
    """
    env = os.environ if environ is None else environ
    selection = parse_selection(env.get(VARIABLE))
    if selection.is_soft:
        from secrets_common.soft.presence import check_setting

        try:
            check_setting(env)
        except ValueError as error:
            raise UsageError(str(error)) from None
    return selection


def discovery(selection: Selection) -> Discovery:
    """How to find the selected authenticators (nothing is opened yet)."""
    paths = selection.soft_paths
    if paths is None:
        return hardware_authenticators
    hid = selection.hid_paths

    def find_soft() -> Sequence[Authenticator]:
        return soft_authenticators(paths, hid=hid)

    return find_soft


def announce(selection: Selection) -> None:
    """Warn on stderr that software authenticators are in use (once per process)."""
    for path in selection.soft_paths or ():
        _warn_once(path)


@functools.cache
def _warn_once(path: Path) -> None:
    # Cached so that the agent or keyring, which open a key source per request,
    # say it once rather than on every secret they read.
    from secrets_common.soft import warning_line

    say(sys.stderr, warning_line(path))


def open_key_source(
    environ: Mapping[str, str] | None = None,
    interaction: Interaction | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> KeySource:
    """The key source every part of the toolkit uses.

    ``environ`` defaults to ``os.environ`` and ``interaction`` to the terminal
    (or plain lines when stderr is not a terminal). No key is opened until the
    source is used.
    """
    selection = selection_from(environ)
    chosen = interaction if interaction is not None else default_interaction()
    if selection.is_soft:
        announce(selection)
    else:
        from secrets_common.fido.windows import windows_key_source

        windows = windows_key_source(timeout=timeout)
        if windows is not None:
            return windows
    # python-fido2's client is a heavy import: only what derives keys pays for it.
    from secrets_common.fido.source import FidoKeySource

    return FidoKeySource(discover=discovery(selection), interaction=chosen, timeout=timeout)
