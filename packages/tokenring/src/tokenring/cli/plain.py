"""The bodies of the commands that also run without typer.

``list``, ``slots``, ``status``, ``lock`` and ``stop`` are run by the typer
commands and by the fast paths (:mod:`tokenring.cli.fast`) alike, so that
both print the same bytes. Standard library only at import: what a body
needs beyond that (the vault, for ``slots``) it imports itself.
"""

from __future__ import annotations

import os

from secrets_common.cli import plainjson
from secrets_common.cli.output import emit, note
from tokenring.agent import remote
from tokenring.locations import socket_path

TYPE_CHECKING = False  # see tokenring.agent.client: typing is too heavy for the fast paths
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from secrets_common.vault import SlotInfo


def vault_path(vault: Path | str | None) -> Path:
    """The vault named by ``--vault`` (or ``TOKENRING_VAULT``), else the default one."""
    from pathlib import Path

    from tokenring.locations import vault_path as default_vault

    return Path(os.path.abspath(vault)) if vault is not None else Path(default_vault())


def warn(lines: list[str]) -> None:
    for line in lines:
        note(f"warning: {line}")


def _ask(op: str) -> dict[str, Any] | None:
    try:
        return remote.call({"op": op}, path=socket_path())
    except remote.AgentUnavailableError:
        return None


def lock() -> None:
    if _ask("lock") is None:
        note("no agent is running; nothing to lock")
        return
    note("agent locked")


def stop() -> None:
    note("agent stopped" if _ask("stop") is not None else "no agent is running")


def status(as_json: bool) -> None:
    answer = _ask("status")
    where = socket_path()
    if answer is None:
        if as_json:
            emit(plainjson.dumps({"running": False, "socket": where}))
        else:
            emit(f"no agent is running (socket {where})")
        return
    info = {"running": True, **{k: v for k, v in answer.items() if k not in ("ok", "v")}}
    if as_json:
        emit(plainjson.dumps(info, indent=2))
        return
    state = "locked" if info.get("locked") else "unlocked"
    emit(f"agent pid {info.get('pid')} serves {info.get('vault')} ({state})")
    emit(f"socket: {info.get('socket')}")
    # One line on locking: the countdowns while unlocked, else the timeouts.
    if info.get("locked"):
        emit(
            f"once unlocked, locks after {info.get('idle_timeout'):g} s idle"
            f" and {info.get('lifetime'):g} s at most"
        )
    else:
        emit(
            f"locks in {info.get('locks_after_idle_in', 0):.0f} s if idle,"
            f" in {info.get('locks_at_latest_in', 0):.0f} s at the latest"
        )
    emit(f"hardening: {', '.join(info.get('hardening') or []) or 'none'}")


def show_entries(entries: list[tuple[str, str]], as_json: bool) -> None:
    from tokenring import known_entries

    named = [(s, u, known_entries.describe(s, u)) for s, u in entries]
    if as_json:
        emit(plainjson.dumps([_row(s, u, name) for s, u, name in named], indent=2))
    elif named:
        emit("\n".join("\t".join(filter(None, row)) for row in named))


def _row(service: str, user: str, name: str | None) -> dict[str, str]:
    row = {"service": service, "user": user}
    if name is not None:
        # Only for another vault's key: an ordinary entry keeps its two fields.
        row["known_as"] = name
    return row


def _slot_json(info: SlotInfo) -> dict[str, object]:
    """A slot for ``slots --json``: an authenticator's full credential id, not its prefix."""
    shown: dict[str, object] = {"name": info.name, "kind": info.kind, "detail": info.detail}
    if info.credential is not None:
        shown["role"] = info.role
        shown["rp_id"] = info.credential.rp_id
        shown["credential_id"] = info.credential.credential_id.hex()
        shown["pin"] = info.credential.uv
    return shown


def slots(vault: Path, as_json: bool) -> None:
    from tokenring.ring import open_vault

    opened = open_vault(vault)
    found = opened.slots()
    if as_json:
        emit(plainjson.dumps([_slot_json(s) for s in found], indent=2))
    else:
        for slot in found:
            emit(f"{slot.name}\t{slot.kind}\t{slot.detail}")
    warn(opened.warnings)
