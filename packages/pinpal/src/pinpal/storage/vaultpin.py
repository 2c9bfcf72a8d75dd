"""Which vault PINPal trusts: the one it made, pinned on first use.

A same-user process can put a vault of its own at PINPal's path and plant
its keyring secret; new secrets would then land where it can read them. The
pin, ``SECRETS_HOME/pinpal/vault.pin`` (0600, replaced atomically), names
the vault id, its keyring slot's user name and a tag of the slot's secret
(an HMAC keyed by it, so the file says nothing of the secret): a vault that
differs in any of the three is refused before anything is written to it.

While PINPal re-keys its vault (:meth:`VaultStore.rekey`) the pin also names
the next slot, written before that slot's secret is, and afterwards the old
slots still to delete from the keyring, so that a crash at any step leaves a
pin that accepts the vault on disk and old keys that the next command deletes.
It also says when a command let plaintext leave the vault and owes the re-key
it makes as it ends: a command killed before then (SIGKILL, a closed
terminal) leaves that debt to the next command that opens the vault.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import attrs

from pinpal.storage.privatefile import write_private
from secrets_common.errors import VaultError

PIN_FILE = "vault.pin"
FORMAT_NAME = "pinpal-vault-pin"
VERSION = 1


class UntrustedVaultError(VaultError):
    """The vault at PINPal's path is not the one PINPal made (or its pin is damaged)."""


@attrs.frozen
class Slot:
    """A keyring slot as pinned: its user name and the tag of its secret."""

    username: str
    tag: str


@attrs.frozen
class Pin:
    vault_id: str
    slot: Slot
    # Written before a re-key stores the new secret: the vault may be under either.
    next: Slot | None = None
    # Keyring users of earlier slots, still to delete.
    shred: tuple[str, ...] = ()
    # Plaintext left the vault and no re-key has followed yet.
    owed: bool = False

    def accepts(self, vault_id: str, slot: Slot) -> bool:
        if not hmac.compare_digest(vault_id.encode(), self.vault_id.encode()):
            return False
        return any(
            pinned is not None and _same_slot(pinned, slot) for pinned in (self.slot, self.next)
        )


def _same_slot(pinned: Slot, found: Slot) -> bool:
    if pinned.username != found.username:
        return False
    # No secret in the keyring (tag ""): unlocking will say so, and opens nothing.
    return found.tag == "" or hmac.compare_digest(pinned.tag.encode(), found.tag.encode())


def tag(vault_id: str, username: str, secret: str) -> str:
    """An HMAC keyed by the slot's secret (as the keyring holds it) over what it opens."""
    message = f"{FORMAT_NAME}\0{vault_id}\0{username}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def read_pin(path: Path) -> Pin | None:
    """The pin, or None if there is none yet; a damaged one is refused."""
    try:
        text = path.read_text("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise damaged(path, type(error).__name__) from None
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT_NAME or data.get("version") != VERSION:
            raise ValueError("not a PINPal vault pin")
        following = data.get("next")
        shred = data.get("shred", [])
        if not isinstance(shred, list) or not all(isinstance(u, str) for u in shred):
            raise TypeError("shred")
        owed = data.get("rekey_owed", False)
        if not isinstance(owed, bool):
            raise TypeError("rekey_owed")
        return Pin(
            vault_id=_text(data["vault_id"]),
            slot=_slot(data["slot"]),
            next=None if following is None else _slot(following),
            shred=tuple(shred),
            owed=owed,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise damaged(path, type(error).__name__) from None


def write_pin(path: Path, pin: Pin) -> None:
    document = {
        "format": FORMAT_NAME,
        "version": VERSION,
        "vault_id": pin.vault_id,
        "slot": attrs.asdict(pin.slot),
        "next": None if pin.next is None else attrs.asdict(pin.next),
        "shred": list(pin.shred),
        "rekey_owed": pin.owed,
    }
    write_private(path, json.dumps(document, sort_keys=True) + "\n")


def damaged(path: Path, detail: str) -> UntrustedVaultError:
    from secrets_common.cli.invocation import command

    return UntrustedVaultError(
        f"PINPal's vault pin {path} is damaged ({detail}), so no vault is trusted; "
        f"`{command('pinpal', 'start-over')}` sets the vault aside and starts a new one"
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def _slot(value: object) -> Slot:
    if not isinstance(value, dict):
        raise TypeError("a slot is not an object")
    return Slot(_text(value["username"]), _text(value["tag"]))
