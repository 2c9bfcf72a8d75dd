"""``init``, ``enroll``, ``slots``, ``remove-slot``, ``rotate``, ``import-legacy``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from secrets_common.cli.output import emit
from secrets_common.errors import UsageError
from tokenring.cli.common import JsonOption, VaultOption, note, vault_path, warn

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
    ) -> None:
        """Add a backup security key (connect an enrolled key and the new one)."""
        from secrets_common.vault import NewAuthenticatorSlot, NewRecoverySlot
        from tokenring import keys
        from tokenring.ring import open_vault

        opened = open_vault(vault_path(vault))
        source = keys.key_source()
        if recovery_code:
            code = opened.enroll(
                NewRecoverySlot(name or "recovery"),
                keys.Opener(key_source=source),
                reason="add a recovery code",
            )
            note(f"added a recovery code to {opened.path}")
            if code is not None:
                _show_recovery_code(code)
            return
        slot_name = name or _next_key_name({slot.name for slot in opened.slots()})
        opened.enroll(
            NewAuthenticatorSlot(slot_name, source),
            keys.Opener(key_source=source),
            reason=f"add the backup key {slot_name!r}",
        )
        note(f"enrolled {slot_name!r} in {opened.path}")
        warn(opened.warnings)

    @app.command()
    def slots(vault: VaultOption = None, as_json: JsonOption = False) -> None:
        """List the key slots that open the vault (no touch)."""
        from tokenring.ring import open_vault

        opened = open_vault(vault_path(vault))
        found = opened.slots()
        if as_json:
            emit(
                json.dumps(
                    [{"name": s.name, "kind": s.kind, "detail": s.detail} for s in found],
                    indent=2,
                )
            )
        else:
            for slot in found:
                emit(f"{slot.name}\t{slot.kind}\t{slot.detail}")
        warn(opened.warnings)

    @app.command("remove-slot")
    def remove_slot(
        slot: Annotated[str, typer.Argument(metavar="SLOT", help="The slot's name (see `slots`).")],
        vault: VaultOption = None,
    ) -> None:
        """Remove a key slot (never the last one)."""
        from tokenring import keys
        from tokenring.ring import open_vault

        opened = open_vault(vault_path(vault))
        opened.unlock(keys.opener(), reason=f"remove the slot {slot!r}")
        opened.remove_slot(slot)
        note(f"removed {slot!r} from {opened.path}")
        warn(opened.warnings)

    @app.command()
    def rotate(vault: VaultOption = None) -> None:
        """Re-key the vault: new salts and keys for every slot, entries unchanged."""
        from tokenring import keys
        from tokenring.ring import open_vault

        opened = open_vault(vault_path(vault))
        code = opened.rotate(keys.opener(), reason=f"re-key {opened.path}")
        note(f"re-keyed {opened.path}")
        if code is not None:
            _show_recovery_code(code)

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
