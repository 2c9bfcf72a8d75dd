"""Helpers shared by the vault tests: a keyring in memory, cheap scrypt, soft keys.

The keyring backend here is a stand-in for the OS keyring (a boundary of the
vault, not the vault itself); everything else the tests use is real,
including the FIDO2 key source driving SoftAuthenticator state files.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from hypothesis import strategies as st
from keyring.errors import PasswordDeleteError

from secrets_common.fido import PlainInteraction, open_key_source
from secrets_common.keysource import KeySource
from secrets_common.vault import KeyringBackend, ScryptParams

CHEAP_SCRYPT = ScryptParams(n=2**4, r=1, p=1)
"""Recovery-code stretching that costs nothing: tests only, passed explicitly."""


class MemoryKeyring:
    """An OS keyring kept in a dict."""

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            # What every keyring backend raises for a missing password.
            raise PasswordDeleteError(f"no password for {username!r} in {service!r}")


_check: type[KeyringBackend] = MemoryKeyring


def soft_source(*states: Path) -> KeySource:
    """The real FIDO2 key source over SoftAuthenticators with these state files.

    Several files behave as several keys plugged in at once.
    """
    selection = ",".join(f"soft:{path}" for path in states)
    return open_key_source(
        {"SECRETS_AUTHENTICATOR": selection}, PlainInteraction(io.StringIO()), timeout=5
    )


def touches(state: Path) -> int:
    """User-presence checks a SoftAuthenticator has performed so far."""
    if not state.exists():
        return 0
    count = json.loads(state.read_text())["touches"]
    if not isinstance(count, int):
        raise TypeError(f"touches in {state} is not a number")
    return count


def private_dir(path: Path) -> Path:
    """``path`` created 0700, as the vault requires of its directory."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


entry_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=24
)
"""Entry names as the tools make them: any non-empty text."""

entry_values = st.binary(max_size=64)
