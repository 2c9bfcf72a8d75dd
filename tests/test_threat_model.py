"""Claims of docs/threat-model.md, each held by an attacker that runs as the user.

The attacker here uses no toolkit code to attack: the bytes of the vault file,
python-fido2's client over the user's SoftAuthenticator, and a raw Unix
socket to the agent (frames built by hand), from a process of its own. Touch
counts come from the authenticator's state file, so a touch nobody announced
would show.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secrets_common.fido import PlainInteraction, open_key_source
from secrets_common.vault import NewAuthenticatorSlot, NewRecoverySlot, Opener, Vault
from secrets_common.vault.errors import SlotOpenError
from tests.common.test_vault_attacker import Attacker
from tests.common.vault_strategies import CHEAP_SCRYPT, soft_source
from tests.tokenring.conftest import touches

NAMES = {"payments-live-api": b"sk_live_4f9c2d8e7a1b", "upload-pypi-token": b"pypi-AgEIcHlwaS5vcmc"}


def _forms(text: bytes) -> list[bytes]:
    """The ways a careless format could spell ``text`` in a file."""
    return [text, text.hex().encode(), base64.b64encode(text), base64.urlsafe_b64encode(text)]


def test_the_file_alone_shows_no_name_and_no_value(tmp_path: Path) -> None:
    """Claim 1: without a key nothing in the file decrypts; only its size grows.

    The thief holds the file and nothing else. No name or value appears in it
    in any spelling, and no opener it has (none, a guessed recovery code)
    opens it. The size does grow with the entries: the document says so.
    """
    key = tmp_path / "key.json"
    path = tmp_path / "vaults" / "ring.vault"
    vault, _code = Vault.create(
        path,
        NewAuthenticatorSlot("everyday", soft_source(key)),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    sizes = [path.stat().st_size]
    for name, value in NAMES.items():
        vault.write(name, value, Opener(key_source=soft_source(key)))
        sizes.append(path.stat().st_size)
    stolen = path.read_bytes()
    for name, value in NAMES.items():
        for spelling in _forms(name.encode()) + _forms(value):
            assert spelling not in stolen, f"{spelling!r} is readable in the file"
    header = json.loads(stolen.split(b"\n", 1)[0])
    assert not {"entries", "count", "names"} & set(header), "the header counts nothing"

    copy = tmp_path / "thief" / "ring.vault"
    copy.parent.mkdir(mode=0o700)
    copy.write_bytes(stolen)
    guess = "-".join(["ABCD"] * 8)  # well-formed, so it is tried against the slot
    with pytest.raises(SlotOpenError, match="does not open"):
        Vault.open(copy).read("payments-live-api", Opener(recovery_code=guess), reason="thief")
    # What the thief does learn: the file grows with each entry (claim 1's caveat).
    assert sizes == sorted(sizes)
    assert len(set(sizes)) == len(sizes)


@settings(max_examples=12, deadline=None)
@given(
    entries=st.dictionaries(
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=8, max_size=40),
        st.binary(min_size=12, max_size=200),
        min_size=1,
        max_size=4,
    )
)
def test_no_name_or_value_of_any_shape_is_in_the_file(entries: dict[str, bytes]) -> None:
    """Claim 1, as a property: whatever the names and values, none is in the file's bytes."""
    with tempfile.TemporaryDirectory() as where:
        key = Path(where) / "key.json"
        path = Path(where) / "vaults" / "ring.vault"
        vault, _ = Vault.create(path, NewAuthenticatorSlot("everyday", soft_source(key)))
        vault.write_many(entries, Opener(key_source=soft_source(key)))
        stolen = path.read_bytes()
    for name, value in entries.items():
        for spelling in _forms(name.encode()) + _forms(value):
            assert spelling not in stolen


def test_an_everyday_key_never_opens_the_escrow_for_any_salt(tmp_path: Path) -> None:
    """Claim 3: no salt, from the file or of the attacker's choosing, opens the whole vault.

    The attacker touches the everyday key over the escrow salt, the index
    salt and salts it made up, and tries every output on every escrow wrap in
    the header. None opens; the backup key in the drawer is never reached.
    That backup key, when it is used, prompts "… open the whole vault …".
    """
    key = tmp_path / "key.json"
    drawer = tmp_path / "drawer.json"
    path = tmp_path / "vaults" / "ring.vault"
    vault, code = Vault.create(
        path,
        NewAuthenticatorSlot("everyday", soft_source(key)),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    assert code is not None
    vault.enroll(
        NewAuthenticatorSlot("drawer", soft_source(drawer), backup=True),
        Opener(recovery_code=code),
        reason="enrol",
    )
    vault.write_many({"a": b"1", "b": b"2"}, Opener(key_source=soft_source(key)))
    drawer_touches = touches(drawer)

    attacker = Attacker(path, key)
    slot = next(s for s in attacker.header["slots"] if s.get("role") == "everyday")
    assert "escrow_key" not in slot, "an everyday slot wraps no escrow key"
    index_salt, escrow_salt = attacker.salts_in_the_file([])
    chosen = [bytes([n]) * 32 for n in range(4)] + [os.urandom(32) for _ in range(4)]
    pairs = [[escrow_salt, index_salt], [escrow_salt, escrow_salt]]
    pairs += [[escrow_salt, salt] for salt in chosen] + [chosen[i : i + 2] for i in (0, 2, 4, 6)]
    for pair in pairs:
        outputs = attacker.assertion(slot, pair)
        assert all(attacker.escrow_private(output) is None for output in outputs)
    assert touches(key) >= attacker.assertions == len(pairs)
    assert touches(drawer) == drawer_touches

    # The one key that does open it says so before its touch.
    said = io.StringIO()
    from_the_drawer = open_key_source(
        {"SECRETS_AUTHENTICATOR": f"soft:{drawer}"}, PlainInteraction(said), timeout=5
    )
    assert Vault.open(path).read("a", Opener(key_source=from_the_drawer), reason="read a") == b"1"
    assert "to open the whole vault with a backup key, to read a" in said.getvalue()
    assert touches(drawer) == drawer_touches + 1
