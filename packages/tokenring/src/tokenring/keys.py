"""The security keys TokenRing works with, and how it talks about touches."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

import attrs

from secrets_common.keysource import KeySource
from secrets_common.vault import Opener
from tokenring.known_entries import touch_name

if TYPE_CHECKING:
    from secrets_common.fido.interaction import Interaction

__all__ = [
    "AgentInteraction",
    "Opener",
    "key_source",
    "opener",
    "read_reason",
    "store_reason",
    "touch_name",
]


def key_source(
    environ: Mapping[str, str] | None = None, interaction: Interaction | None = None
) -> KeySource:
    """The connected keys (or ``SECRETS_AUTHENTICATOR=soft:…``), with prompts."""
    from secrets_common.fido import open_key_source

    return open_key_source(environ=environ, interaction=interaction)


def opener(
    environ: Mapping[str, str] | None = None, interaction: Interaction | None = None
) -> Opener:
    return Opener(key_source=key_source(environ, interaction))


def read_reason(service: str, user: str) -> str:
    """Completes "Touch your security key to …"."""
    return f"read {touch_name(service, user)}"


def store_reason(service: str, user: str) -> str:
    return f"store {touch_name(service, user)}"


def user_name_reason(service: str) -> str:
    """Completes "Touch your security key to …" for a user-name lookup (no password)."""
    return f"look up the user name stored for {service!r} (no password is read)"


@attrs.define
class AgentInteraction:
    """Prompts of the agent, on its own terminal while it has one.

    The reason completes "Touch your security key to …", as everywhere else
    (and in the error when nobody touches): "release 'pypi' / '__token__' to
    twine (pid 4242)". The client that asked gets its own sentence as an
    ``event`` frame. A PIN
    can be typed only while the agent has a terminal (``pin_prompt``); a
    detached agent answers a key that wants its PIN with a clear error.
    """

    stream: TextIO | None = None
    pin_prompt: Callable[[str, str], str | None] | None = None

    def touch_started(
        self, reason: str, timeout: float, *, authenticator: str | None = None
    ) -> None:
        which = "" if authenticator is None else f"{authenticator}, "
        if self.stream is not None:
            try:
                from secrets_common.fido.interaction import touch_prompt

                prompt = touch_prompt(reason)
                self.stream.write(f"tokenring agent: {prompt} ({which}{timeout:g} s)\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass

    def touch_ended(self) -> None:
        pass

    def ask_pin(self, authenticator: str, reason: str) -> str | None:
        if self.pin_prompt is None:
            return None
        return self.pin_prompt(authenticator, reason)

    def choose(self, question: str, choices: Sequence[str]) -> int:  # noqa: ARG002
        return 0

    def detach(self) -> None:
        """The terminal is gone: no more prompts, no more PINs."""
        self.stream = None
        self.pin_prompt = None


if TYPE_CHECKING:
    _check_interaction: type[Interaction] = AgentInteraction
