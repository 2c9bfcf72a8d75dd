"""One face for TokenRing's operations: through the agent, in-process without one.
The keyring backend and the CLI both use it.

When no agent answers, the first operation starts one, locked
(:mod:`tokenring.agent.autostart`), and its touch unlocks the vault there.
Through the agent a ``get`` and a ``set`` are one touch each, always; a
lookup of an absent entry, ``list`` and ``delete`` through an unlocked agent
none. In-process (``TOKENRING_NO_AGENT=1``, or no agent could start) every
call opens the vault afresh and keeps nothing unlocked once it returns: each
call is one touch, a miss included, since the names are encrypted too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from secrets_common.errors import NotFoundError
from secrets_common.vault import Opener
from tokenring import keys, locations
from tokenring.agent import autostart, client, remote
from tokenring.ring import Ring, open_vault

T = TypeVar("T")

__all__ = ["TokenRing"]


@attrs.frozen
class TokenRing:
    """Where the vault and the agent are, and how to reach a key."""

    vault: Path
    socket: str
    use_agent: bool = True
    start_agent: bool = True
    """Start an agent when none answers (gpg-agent's way); off with ``use_agent``."""
    opener_factory: Callable[[], Opener] = attrs.field(default=keys.opener, repr=False)
    on_event: client.EventHandler | None = attrs.field(default=client.show_event, repr=False)

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        vault: Path | None = None,
        use_agent: bool = True,
    ) -> TokenRing:
        env = os.environ if environ is None else environ
        return cls(
            # Absolute, as the agent names the vault it serves.
            vault=Path(os.path.abspath(vault)) if vault else Path(locations.vault_path(env)),
            socket=locations.socket_path(env),
            use_agent=use_agent and locations.agent_wanted(env),
        )

    def _agent(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """The agent's answer, or None when there is no agent to ask."""
        if not self.use_agent:
            return None
        try:
            return self._call(message)
        except remote.AgentUnavailableError:
            pass
        # No agent, or one that cannot serve this request (another vault, say):
        # only when nothing answers at all is an agent started.
        if not (self.start_agent and self.vault_exists()) or autostart.answers(self.socket):
            return None
        if not autostart.ensure_agent(self.vault, self.socket):
            return None
        try:
            return self._call(message)
        except remote.AgentUnavailableError:
            return None

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        return remote.call(
            {**message, "vault": str(self.vault)}, path=self.socket, on_event=self.on_event
        )

    def _in_process(self, action: Callable[[Ring], T]) -> T:
        ring = Ring.open(self.vault, self.opener_factory())
        try:
            return action(ring)
        finally:
            ring.lock()

    def get(self, service: str, user: str) -> str | None:
        """The password (one touch), or None when there is no such entry."""
        try:
            answer = self._agent({"op": "get", "service": service, "user": user})
        except NotFoundError:
            return None
        if answer is not None:
            return str(answer["value"])
        return self._in_process(
            lambda ring: ring.get(service, user, reason=keys.read_reason(service, user))
        )

    def set(self, service: str, user: str, password: str) -> None:
        answer = self._agent({"op": "set", "service": service, "user": user, "value": password})
        if answer is None:
            self._in_process(
                lambda ring: ring.set(
                    service, user, password, reason=keys.store_reason(service, user)
                )
            )

    def delete(self, service: str, user: str) -> bool:
        """Remove an entry; whether it existed."""
        try:
            answer = self._agent({"op": "delete", "service": service, "user": user})
        except NotFoundError:
            return False
        if answer is not None:
            return True
        return self._in_process(
            lambda ring: ring.delete(
                service, user, reason=f"delete {keys.touch_name(service, user)}"
            )
        )

    def entries(self) -> list[tuple[str, str]]:
        answer = self._agent({"op": "list"})
        if answer is not None:
            return [(str(s), str(u)) for s, u in answer["entries"]]
        return self._in_process(lambda ring: ring.entries("list the entries"))

    def users(self, service: str) -> list[str]:
        """The user names stored for ``service``, sorted; never a password."""
        answer = self._agent({"op": "list", "service": service})
        if answer is not None:
            found = [(str(s), str(u)) for s, u in answer["entries"]]
        else:
            found = self._in_process(lambda ring: ring.entries(keys.user_name_reason(service)))
        return [user for svc, user in found if svc == service]

    def vault_exists(self) -> bool:
        return self.vault.exists()

    def check_vault(self) -> None:
        """:class:`~tokenring.ring.MissingVaultError` when there is no vault yet."""
        open_vault(self.vault)
