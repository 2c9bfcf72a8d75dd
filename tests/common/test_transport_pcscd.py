"""The soft key as an NFC card in the real pcscd, found by the ordinary discovery.

``secrets token emulate --pcsc`` runs as a subprocess and inserts the card
into vsmartcard's virtual reader of a private pcscd (tests/pcsc.py). Nothing
here sets SECRETS_AUTHENTICATOR: python-fido2's CtapPcscDevice, over pyscard
and pcscd, is what finds and drives the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fido2.pcsc import CtapPcscDevice

from secrets_common.errors import PresenceError
from secrets_common.fido.devices import Authenticator, hardware_authenticators, soft_authenticators
from secrets_common.fido.interaction import RecordingInteraction
from secrets_common.fido.source import FidoKeySource
from tests.cli import run
from tests.pcsc import Emulator, Pcscd, emulated_card

RP_ID = "tokenring.test"
SALT = b"\x07" * 32


def touches(state_file: Path) -> int:
    count = json.loads(state_file.read_text())["touches"]
    assert isinstance(count, int)
    return count


@pytest.fixture
def card(pcscd: Pcscd, tmp_path: Path) -> Iterator[Emulator]:
    with emulated_card(tmp_path / "nfc-key.json", pcscd, tmp_path / "emulate.err") as emulator:
        yield emulator


def test_discovery_finds_the_card_as_an_nfc_key(card: Emulator) -> None:
    found = hardware_authenticators()
    try:
        assert [(a.transport, a.name) for a in found] == [("nfc", "NFC security key")]
        assert found[0].path.startswith("Virtual PCD")
        assert isinstance(found[0].device, CtapPcscDevice)
        assert found[0].speaks_ctap2
    finally:
        for authenticator in found:
            authenticator.close()


def test_enrol_and_derive_over_pcscd_prompt_once_per_touch(card: Emulator, tmp_path: Path) -> None:
    state = tmp_path / "nfc-key.json"
    interaction = RecordingInteraction()
    source = FidoKeySource(discover=hardware_authenticators, interaction=interaction)
    enrolled = source.enroll(rp_id=RP_ID, user_name="alice", salts=[SALT], reason="enrol")
    derived = source.derive([enrolled.credential], [SALT], reason="read 'x'")
    assert derived.outputs == enrolled.outputs
    assert touches(state) == 2
    # Each prompt came from the card's 9100 UPNEEDED answer, relayed by python-fido2.
    assert interaction.touches == ["enrol", "read 'x'"]
    assert not interaction.touching


def test_extended_apdus_through_pcscd(card: Emulator, tmp_path: Path) -> None:
    [authenticator] = hardware_authenticators()
    try:
        device = authenticator.device
        assert isinstance(device, CtapPcscDevice)
        device.use_ext_apdu = True
        source = FidoKeySource(discover=lambda: [authenticator], interaction=RecordingInteraction())
        source.enroll(rp_id=RP_ID, user_name="bob", salts=[SALT], reason="enrol")
    finally:
        authenticator.close()
    assert touches(tmp_path / "nfc-key.json") == 1


def test_an_untouched_card_is_cancelled_at_the_timeout(pcscd: Pcscd, tmp_path: Path) -> None:
    state = tmp_path / "slow.json"
    waiting = {"SECRETS_SOFT_PRESENCE": "after:3600"}
    with emulated_card(state, pcscd, tmp_path / "emulate.err", env=waiting):
        interaction = RecordingInteraction()
        source = FidoKeySource(
            discover=hardware_authenticators, interaction=interaction, timeout=0.5
        )
        with pytest.raises(PresenceError, match=r"not touched within 0\.5 s"):
            source.enroll(rp_id=RP_ID, user_name="a", salts=[SALT], reason="enrol")
        assert interaction.touches == ["enrol"]
    assert touches(state) == 0


def test_the_cli_lists_and_uses_the_card_with_no_authenticator_configured(
    card: Emulator, tmp_path: Path
) -> None:
    state = tmp_path / "nfc-key.json"
    listed = run("secrets", "token", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["transport"] == "nfc"
    assert row["hmac_secret"] is True
    table = run("secrets", "token", "list")
    assert "nfc" in table.stdout.splitlines()[1]
    assert touches(state) == 0

    init = run("secrets", "ring", "init")
    assert init.returncode == 0, init.stderr
    assert touches(state) == 1
    stored = run("secrets", "ring", "set", "pypi", "__token__", input="s3cret\n")
    assert stored.returncode == 0, stored.stderr
    got = run("secrets", "ring", "get", "pypi", "__token__")
    assert (got.returncode, got.stdout) == (0, "s3cret\n"), got.stderr
    # The first `set` started the agent on demand: the prompt is its own.
    assert "touch your key" in got.stderr.lower()
    assert touches(state) == 3
    assert "warning" not in got.stderr  # a key found by discovery is no software one to users


def test_emulate_stops_cleanly_on_sigterm_and_keeps_the_touches(
    pcscd: Pcscd, tmp_path: Path
) -> None:
    state = tmp_path / "key.json"
    with emulated_card(state, pcscd, tmp_path / "emulate.err") as emulator:
        source = FidoKeySource(discover=hardware_authenticators, interaction=RecordingInteraction())
        source.enroll(rp_id=RP_ID, user_name="a", salts=[SALT], reason="enrol")
        assert emulator.stop() == 0
    assert touches(state) == 1
    lines = (tmp_path / "emulate.err").read_text().splitlines()
    assert lines[0].startswith("warning: using the software authenticator")
    assert "Traceback" not in "\n".join(lines)


@pytest.mark.parametrize("choice", [0, 1], ids=["hid", "nfc"])
def test_a_chooser_between_a_hid_key_and_an_nfc_key(
    card: Emulator, tmp_path: Path, choice: int
) -> None:
    nfc = tmp_path / "nfc-key.json"
    hid = tmp_path / "hid-key.json"

    def discover() -> list[Authenticator]:
        return [*soft_authenticators([hid], hid={hid}), *hardware_authenticators()]

    interaction = RecordingInteraction(choice=choice)
    source = FidoKeySource(discover=discover, interaction=interaction)
    enrolled = source.enroll(rp_id=RP_ID, user_name="a", salts=[SALT], reason="enrol")
    [offered] = interaction.choices
    assert offered[0] == f"SoftAuthenticator (HID) ({hid})"
    assert offered[1].startswith("NFC security key (Virtual PCD")
    chosen, other = (hid, nfc) if choice == 0 else (nfc, hid)
    assert touches(chosen) == 1
    assert touches(other) == 0
    # Reading finds the key holding the credential by itself: no second question.
    derived = source.derive([enrolled.credential], [SALT], reason="read")
    assert derived.outputs == enrolled.outputs
    assert len(interaction.choices) == 1
    assert touches(chosen) == 2
    assert touches(other) == 0
