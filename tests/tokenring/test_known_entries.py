"""Which TokenRing entries are another vault's key, and what deleting one would destroy."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.cli import run
from tokenring import known_entries

VAULT_ID = "ab" * 16


def pinpal_vault(vault_id: str = VAULT_ID) -> None:
    directory = Path(os.environ["SECRETS_HOME"]) / "pinpal"
    directory.mkdir(parents=True, mode=0o700, exist_ok=True)
    (directory / "vault").write_text(json.dumps({"vault_id": vault_id}) + "\n")


@given(service=st.text(), user=st.text())
def test_an_ordinary_entry_has_no_name_and_its_delete_is_not_guarded(
    service: str, user: str
) -> None:
    if service != known_entries.VAULT_KEY_SERVICE:
        assert known_entries.describe(service, user) is None
        assert known_entries.loss(service, user) is None
        assert known_entries.touch_name(service, user) == f"{service!r} / {user!r}"


def test_pinpals_key_is_named_by_its_vault_id_and_another_vaults_key_too() -> None:
    user = f"vault:{VAULT_ID}:0011aabb"
    assert (
        known_entries.describe("secrets-toolkit", user) == "the key of the toolkit vault abababab…"
    )
    pinpal_vault()
    assert known_entries.describe("secrets-toolkit", user) == "PINPal's vault key"
    assert known_entries.touch_name("secrets-toolkit", user) == "PINPal's vault key"
    other = f"vault:{'cd' * 16}:0011aabb"
    assert (
        known_entries.describe("secrets-toolkit", other) == "the key of the toolkit vault cdcdcdcd…"
    )
    assert known_entries.describe("secrets-toolkit", "vault:short:0011aabb") is None


def test_a_damaged_pinpal_vault_names_no_entry_pinpals() -> None:
    directory = Path(os.environ["SECRETS_HOME"]) / "pinpal"
    directory.mkdir(parents=True, mode=0o700)
    (directory / "vault").write_bytes(b"\xff not json\n")
    user = f"vault:{VAULT_ID}:0011aabb"
    assert known_entries.describe("secrets-toolkit", user) != "PINPal's vault key"


def test_delete_of_another_vaults_key_is_refused_before_the_vault_is_opened() -> None:
    # No TokenRing vault exists: the refusal comes first, at no touch.
    user = f"vault:{'cd' * 16}:0011aabb"
    refused = run("tokenring", "delete", "secrets-toolkit", user)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr == (
        f"error: {user!r} at 'secrets-toolkit' was not deleted: it is the key of the toolkit "
        "vault cdcdcdcd…: deleting it destroys every secret in that vault; "
        "add --force to delete it anyway\n"
    )
