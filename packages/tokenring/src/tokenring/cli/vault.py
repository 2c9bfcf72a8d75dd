"""``init``, ``enroll``, ``slots``, ``remove-slot``, ``rotate``, ``import-legacy``."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from secrets_common.cli.output import emit
from secrets_common.errors import NotFoundError, SecretsError, UsageError
from tokenring.cli import plain
from tokenring.cli.common import JsonOption, VaultOption, note, vault_path, warn

if TYPE_CHECKING:
    from secrets_common.keysource import KeySource
    from secrets_common.vault import Vault
    from tokenring import keys

NameOption = Annotated[
    str | None,
    typer.Option(
        "--name",
        metavar="NAME",
        help="A name for the key slot (default: key-1, key-2, ...).",
        show_default=False,
    ),
]


RecoveryOption = Annotated[
    bool | None,
    typer.Option(
        "--recovery-code/--no-recovery-code",
        help="Also create a recovery code (asked on a terminal; default off otherwise).",
        show_default=False,
    ),
]


def _next_key_name(taken: set[str]) -> str:
    number = 1
    while f"key-{number}" in taken:
        number += 1
    return f"key-{number}"


def _show_recovery_code(code: str) -> None:
    emit(
        "\nRecovery code (shown this once; write it down and keep it offline):\n\n"
        f"    {code}\n\nIt opens the vault when every security key is lost."
    )


def _want_recovery(choice: bool | None) -> bool:
    if choice is not None:
        return choice
    if sys.stdin.isatty() and sys.stdout.isatty():
        return typer.confirm(
            "Create a recovery code too (opens the vault if every key is lost)?", default=True
        )
    return False


def _escrow_opener(vault: Vault, source: KeySource) -> keys.Opener:
    """Keys plus the recovery code when the vault has one and no backup key to touch.

    What opens the whole vault: a backup key if one is enrolled (touched
    through ``source``), else the recovery code, asked for here.
    """
    from tokenring import keys
    from tokenring.cli.secret_input import read_recovery_code

    infos = vault.slots()
    has_backup = any(info.role == "backup" for info in infos)
    has_code = any(info.kind == "recovery" for info in infos)
    code = read_recovery_code() if has_code and not has_backup else None
    return keys.Opener(key_source=source, recovery_code=code)


def _tell_agent_to_lock() -> None:
    """A running agent forgets the keys it holds, so it re-reads the restored file."""
    from tokenring.agent import remote
    from tokenring.locations import socket_path

    # No agent, or one going away: nothing to tell.
    with contextlib.suppress(SecretsError, OSError):
        remote.call({"op": "lock"}, path=socket_path(), on_event=None)


def _stop_agent_of(path: Path) -> bool:
    """Stop a running agent of ``path``: it asks the key it started with, which
    may be a lost one. The next command starts one with the keys connected now.
    Returns whether one was stopped."""
    from tokenring.agent import remote
    from tokenring.locations import socket_path

    where = socket_path()
    try:
        status = remote.call({"op": "status"}, path=where, on_event=None)
        if status.get("vault") != str(path):
            return False
        remote.call({"op": "stop"}, path=where, on_event=None)
    except (SecretsError, OSError):
        return False  # no agent, or one going away
    return True


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        vault: VaultOption = None,
        name: NameOption = None,
        recovery_code: RecoveryOption = None,
        exist_ok: Annotated[
            bool,
            typer.Option(
                "--exist-ok",
                help="Succeed without a touch if the vault already exists (for scripts).",
            ),
        ] = False,
    ) -> None:
        """Create the vault and enrol your security key in it (one touch)."""
        from secrets_common.vault import NewAuthenticatorSlot, NewRecoverySlot, Vault
        from tokenring import keys
        from tokenring.ring import lock_timeout

        path = vault_path(vault)
        if path.exists():
            if exist_ok and path.is_file():
                note(f"{path} already exists; TokenRing uses it as it is")
                return
            raise UsageError(f"{path} already exists; TokenRing uses it as it is")
        recovery = NewRecoverySlot() if _want_recovery(recovery_code) else None
        slot = NewAuthenticatorSlot(name or "key-1", keys.key_source())
        created, code = Vault.create(
            path,
            slot,
            recovery=recovery,
            reason=f"create the TokenRing vault {path}",
            lock_timeout=lock_timeout(),
        )
        note(f"created {path}")
        if code is not None:
            _show_recovery_code(code)
        warn(created.warnings)

    @app.command()
    def enroll(
        vault: VaultOption = None,
        name: NameOption = None,
        recovery_code: Annotated[
            bool,
            typer.Option(
                "--recovery-code",
                help="Add a recovery code instead of a key (shown once).",
            ),
        ] = False,
        backup: Annotated[
            bool,
            typer.Option(
                "--backup",
                help="Enrol a backup key: one touch opens the whole vault, so keep it unplugged.",
            ),
        ] = False,
    ) -> None:
        """Add a security key (connect an enrolled key and the new one)."""
        from secrets_common.vault import NewAuthenticatorSlot, NewRecoverySlot
        from tokenring import keys
        from tokenring.ring import open_vault

        opened = open_vault(vault_path(vault))
        source = keys.key_source()
        if recovery_code:
            code = opened.enroll(
                NewRecoverySlot(name or "recovery"),
                _escrow_opener(opened, source),
                reason="add a recovery code (open the whole vault)",
            )
            note(f"added a recovery code to {opened.path}")
            if code is not None:
                _show_recovery_code(code)
            return
        slot_name = name or _next_key_name({slot.name for slot in opened.slots()})
        if backup:
            opener = _escrow_opener(opened, source)
            what = f"add the backup key {slot_name!r} (open the whole vault)"
        else:
            opener = keys.Opener(key_source=source)
            what = f"add the everyday key {slot_name!r}"
        opened.enroll(NewAuthenticatorSlot(slot_name, source, backup=backup), opener, reason=what)
        note(f"enrolled {slot_name!r} ({'backup' if backup else 'everyday'} key) in {opened.path}")
        warn(opened.warnings)

    @app.command()
    def slots(vault: VaultOption = None, as_json: JsonOption = False) -> None:
        """List the key slots that open the vault (no touch)."""
        plain.slots(vault_path(vault), as_json)

    @app.command("remove-slot")
    def remove_slot(
        slot: Annotated[str, typer.Argument(metavar="SLOT", help="The slot's name (see `slots`).")],
        vault: VaultOption = None,
    ) -> None:
        """Remove a key slot: it opens nothing written afterwards (never the last key)."""
        from tokenring import keys
        from tokenring.ring import open_vault

        opened = open_vault(vault_path(vault))
        source = keys.key_source()
        found = {info.name: info for info in opened.slots()}
        if slot not in found:
            known = ", ".join(repr(name) for name in found)
            raise NotFoundError(f"no slot {slot!r} in {opened.path}; slots: {known}")
        authenticators = [i for i in found.values() if i.kind == "authenticator"]
        if found[slot].kind == "authenticator" and len(authenticators) == 1:
            raise UsageError(
                f"cannot remove {slot!r}: it is the last security key of {opened.path}, and a "
                "recovery code alone is no way to work day to day (enrol another key first)"
            )
        everyday = found[slot].role == "everyday"
        opener = keys.Opener(key_source=source) if everyday else _escrow_opener(opened, source)
        reason = f"remove the slot {slot!r}"
        if not opened.is_unlocked:
            opened.unlock(opener, reason=reason)
        exposed = opened.remove_slot(slot, opener=opener, reason=reason)
        note(f"removed {slot!r} from {opened.path}; it opens nothing written from now on")
        if exposed:
            note(
                f"note: {slot!r} could read {exposed} entries; a copy of the vault file from "
                "before this removal still exposes them to it: change those secrets where they "
                "are used (`tokenring rotate` retires every other old key and code)"
            )
        warn(opened.warnings)

    @app.command()
    def rotate(vault: VaultOption = None) -> None:
        """Re-key the vault: new index and escrow keys, a new recovery code; entries unchanged."""
        from tokenring import keys
        from tokenring.ring import open_vault

        opened = open_vault(vault_path(vault))
        source = keys.key_source()
        code = opened.rotate(_escrow_opener(opened, source), reason=f"re-key {opened.path}")
        note(f"re-keyed {opened.path}")
        if code is not None:
            _show_recovery_code(code)
        warn(opened.warnings)

    @app.command()
    def recover(
        vault: VaultOption = None,
        name: NameOption = None,
        remove: Annotated[
            list[str] | None,
            typer.Option(
                "--remove",
                help="Remove this slot (a lost key) too; repeatable. Asked on a terminal.",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Open the vault with the recovery code and enrol the connected key (no lost key needed).

        Reads the code from a no-echo prompt (or one line of standard input),
        enrols the connected key as an everyday key, removes the slots of lost
        keys, and shows a new recovery code: the old one retires.
        """
        from secrets_common.vault import NewAuthenticatorSlot
        from tokenring import keys
        from tokenring.cli.secret_input import read_recovery_code
        from tokenring.ring import open_vault

        opened = open_vault(vault_path(vault))
        infos = opened.slots()
        if not any(info.kind == "recovery" for info in infos):
            raise UsageError(f"{opened.path} has no recovery code")
        code = read_recovery_code()
        slot_name = name or _next_key_name({info.name for info in infos})
        lost = list(remove or [])
        if not remove and sys.stdin.isatty() and sys.stdout.isatty():
            lost = [
                info.name
                for info in infos
                if info.kind == "authenticator"
                and typer.confirm(f"Remove the slot {info.name!r} (a lost key)?", default=False)
            ]
        new_code = opened.recover(
            code,
            NewAuthenticatorSlot(slot_name, keys.key_source()),
            remove=lost,
            reason=f"recover {opened.path} with the key {slot_name!r}",
        )
        note(
            f"recovered {opened.path}: enrolled {slot_name!r}"
            + (f", removed {', '.join(map(repr, lost))}" if lost else "")
        )
        if new_code is not None:
            _show_recovery_code(new_code)
        warn(opened.warnings)
        if _stop_agent_of(opened.path):
            note("stopped the running agent, which used the keys of before")

    @app.command()
    def restore(
        backup: Annotated[
            Path, typer.Argument(help="A copy of the vault file to put back.", show_default=False)
        ],
        vault: VaultOption = None,
    ) -> None:
        """Put a backup of the vault back on purpose (an older copy is refused otherwise)."""
        from secrets_common.vault import Vault
        from tokenring import keys
        from tokenring.ring import lock_timeout

        path = vault_path(vault)
        restored = Vault.restore(
            backup,
            path,
            keys.opener(),
            reason=f"restore {path} from {backup}",
            lock_timeout=lock_timeout(),
        )
        _tell_agent_to_lock()
        note(f"restored {path} from {backup} (now generation {restored.generation})")

    @app.command()
    def upgrade(vault: VaultOption = None) -> None:
        """Convert a version-1 vault to version 2 (1 touch, then 1 per two entries)."""
        from tokenring import keys
        from tokenring.ring import open_vault

        opened = open_vault(vault_path(vault))
        if opened.version != 1:
            note(f"{opened.path} is already in format version {opened.version}")
            return
        keyring = None
        if any(info.kind == "keyring" for info in opened.slots()):
            from secrets_common.vault import system_keyring

            keyring = system_keyring()  # its slot gets a fresh secret there
        code = opened.upgrade(
            keys.Opener(key_source=keys.key_source(), keyring=keyring),
            reason=f"convert {opened.path} to format 2",
        )
        note(f"converted {opened.path} to format version 2")
        if code is not None:
            _show_recovery_code(code)
        warn(opened.warnings)

    @app.command()
    def sync(
        vault: VaultOption = None,
        key: Annotated[
            str | None,
            typer.Option("--key", help="The slot to bring up to date.", show_default=False),
        ] = None,
        recovery_code: Annotated[
            bool,
            typer.Option(
                "--recovery-code", help="Release the entry keys with the recovery code (asked)."
            ),
        ] = False,
    ) -> None:
        """Make entries written while a key was away readable by it (1 touch per 2 entries)."""
        from tokenring import keys
        from tokenring.cli.secret_input import read_recovery_code
        from tokenring.ring import open_vault

        opened = open_vault(vault_path(vault))
        code = read_recovery_code() if recovery_code else None
        opener = keys.Opener(key_source=keys.key_source(), recovery_code=code)
        count = opened.sync(opener, reason=f"bring a key of {opened.path} up to date", key=key)
        note(f"synced {opened.path}: {count} entries newly readable")
        warn(opened.warnings)

    @app.command("import-legacy")
    def import_legacy(
        legacy: Annotated[
            Path | None,
            typer.Argument(
                metavar="LEGACY_VAULT",
                help="A vault file of the original TokenRing (default: where it kept one,"
                " keyring.tokenvault in keyring's data directory).",
                show_default=False,
            ),
        ] = None,
        vault: VaultOption = None,
        name: NameOption = None,
        recovery_code: RecoveryOption = None,
    ) -> None:
        """Re-encrypt every entry of an original TokenRing vault into a new vault."""
        from tokenring.legacy import default_legacy_path
        from tokenring.legacy import import_legacy as run_import

        if legacy is None:
            legacy = default_legacy_path()
        report = run_import(
            legacy,
            vault_path(vault),
            slot_name=name or "key-1",
            recovery=_want_recovery(recovery_code),
        )
        note(
            f"imported {report.imported} entries from {legacy} into {report.vault}"
            f" ({report.touches} touches)"
        )
        if report.recovery_code is not None:
            _show_recovery_code(report.recovery_code)
        warn(report.warnings)
