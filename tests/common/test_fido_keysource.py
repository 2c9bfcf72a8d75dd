"""The FIDO key source, through python-fido2's real client and the SoftAuthenticator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fido2.ctap2.base import Ctap2
from fido2.ctap2.pin import ClientPin
from hypothesis import given, settings
from hypothesis import strategies as st

from secrets_common.errors import (
    NoDeviceError,
    PinError,
    PresenceError,
    WrongKeyError,
)
from secrets_common.fido.interaction import RecordingInteraction
from secrets_common.fido.selection import Selection, discovery
from secrets_common.fido.source import FidoKeySource
from secrets_common.keysource import Credential, KeySource
from secrets_common.soft import SoftAuthenticator

RP_ID = "tokenring.test"
SALT_A = bytes(range(32))
SALT_B = bytes(range(32, 64))
salts = st.binary(min_size=32, max_size=32)


def soft_source(*paths: Path, interaction: RecordingInteraction | None = None) -> FidoKeySource:
    return FidoKeySource(
        discover=discovery(Selection(soft_paths=tuple(paths))),
        interaction=interaction if interaction is not None else RecordingInteraction(),
    )


def touches(path: Path) -> int:
    count = json.loads(path.read_text())["touches"]
    assert isinstance(count, int)
    return count


def client_pin(path: Path) -> ClientPin:
    return ClientPin(Ctap2(SoftAuthenticator(path)))


def enroll(source: KeySource, *salts_: bytes, exclude: tuple[Credential, ...] = ()) -> Credential:
    return source.enroll(
        rp_id=RP_ID,
        user_name="alice",
        salts=list(salts_ or (SALT_A,)),
        reason="enrol this key",
        exclude=exclude,
    ).credential


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return tmp_path / "key.json"


def test_enrolment_yields_the_outputs_later_derivations_give(key: Path) -> None:
    source = soft_source(key)
    enrolled = source.enroll(
        rp_id=RP_ID, user_name="alice", salts=[SALT_A, SALT_B], reason="enrol this key"
    )
    assert touches(key) == 1  # hmac-secret-mc: the key's outputs come with the credential
    assert [len(output) for output in enrolled.outputs] == [32, 32]
    assert enrolled.credential.rp_id == RP_ID
    assert enrolled.credential.uv is False
    assert str(key) in enrolled.authenticator

    derived = source.derive([enrolled.credential], [SALT_A, SALT_B], reason="read 'pypi'")
    assert touches(key) == 2
    assert derived.outputs == enrolled.outputs
    assert derived.credential == enrolled.credential
    assert enrolled.outputs[0] != enrolled.outputs[1]


def test_every_derivation_costs_exactly_one_touch_and_announces_its_reason(key: Path) -> None:
    interaction = RecordingInteraction()
    source = soft_source(key, interaction=interaction)
    credential = enroll(source)
    before = touches(key)
    source.derive([credential], [SALT_A, SALT_B], reason="read 'pypi' / '__token__'")
    source.derive([credential], [SALT_A], reason="read 'npm' / 'alice'")
    assert touches(key) == before + 2
    assert interaction.touches[-2:] == ["read 'pypi' / '__token__'", "read 'npm' / 'alice'"]
    assert interaction.touching is False


@pytest.fixture(scope="module")
def enrolled_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Credential]:
    path = tmp_path_factory.mktemp("fido") / "key.json"
    return path, enroll(soft_source(path))


@settings(max_examples=15)
@given(first=salts, second=salts)
def test_two_salts_in_one_touch_equal_two_single_salt_touches(
    enrolled_key: tuple[Path, Credential], first: bytes, second: bytes
) -> None:
    path, credential = enrolled_key
    source = soft_source(path)
    both = source.derive([credential], [first, second], reason="test").outputs
    alone = (
        source.derive([credential], [first], reason="test").outputs
        + source.derive([credential], [second], reason="test").outputs
    )
    assert both == alone
    assert all(len(output) == 32 for output in both)
    assert (both[0] == both[1]) == (first == second)


def test_outputs_differ_between_credentials_of_one_key(key: Path) -> None:
    source = soft_source(key)
    one, two = enroll(source), enroll(source)
    assert one.credential_id != two.credential_id
    assert (
        source.derive([one], [SALT_A], reason="t").outputs
        != source.derive([two], [SALT_A], reason="t").outputs
    )


def test_a_pin_set_after_enrolment_changes_nothing(key: Path) -> None:
    interaction = RecordingInteraction()
    source = soft_source(key, interaction=interaction)
    enrolled = source.enroll(rp_id=RP_ID, user_name="alice", salts=[SALT_A], reason="enrol")
    client_pin(key).set_pin("4321")

    derived = source.derive([enrolled.credential], [SALT_A], reason="read")
    assert derived.outputs == enrolled.outputs
    assert interaction.pin_requests == []  # the credential was enrolled without UV


def test_a_pin_at_enrolment_is_required_later_and_survives_a_pin_change(key: Path) -> None:
    client_pin(key).set_pin("4321")
    interaction = RecordingInteraction(pins=["4321"])
    source = soft_source(key, interaction=interaction)
    enrolled = source.enroll(rp_id=RP_ID, user_name="alice", salts=[SALT_A], reason="enrol")
    assert enrolled.credential.uv is True
    assert touches(key) == 1
    assert len(interaction.pin_requests) == 1

    client_pin(key).change_pin("4321", "98765")
    interaction.pins.append("98765")
    derived = source.derive([enrolled.credential], [SALT_A], reason="read")
    assert derived.outputs == enrolled.outputs
    assert len(interaction.pin_requests) == 2


def test_uv_and_non_uv_credentials_are_each_derived_in_their_own_mode(key: Path) -> None:
    source = soft_source(key, interaction=RecordingInteraction(pins=["4321", "4321"]))
    without = source.enroll(rp_id=RP_ID, user_name="a", salts=[SALT_A], reason="enrol")
    client_pin(key).set_pin("4321")
    with_pin = source.enroll(rp_id=RP_ID, user_name="a", salts=[SALT_A], reason="enrol")
    assert (without.credential.uv, with_pin.credential.uv) == (False, True)
    assert source.derive([without.credential], [SALT_A], reason="r").outputs == without.outputs
    assert source.derive([with_pin.credential], [SALT_A], reason="r").outputs == with_pin.outputs


def test_a_uv_credential_without_a_pin_answer_is_a_pin_error(key: Path) -> None:
    client_pin(key).set_pin("4321")
    credential = enroll(soft_source(key, interaction=RecordingInteraction(pins=["4321"])))
    with pytest.raises(PinError, match="needs its PIN"):
        soft_source(key).derive([credential], [SALT_A], reason="read")


def test_a_wrong_pin_says_how_many_attempts_are_left(key: Path) -> None:
    client_pin(key).set_pin("4321")
    credential = enroll(soft_source(key, interaction=RecordingInteraction(pins=["4321"])))
    before = client_pin(key).get_pin_retries()[0]
    touched = touches(key)

    with pytest.raises(PinError, match=f"wrong PIN .*{before - 1} attempts left"):
        soft_source(key, interaction=RecordingInteraction(pins=["0000"])).derive(
            [credential], [SALT_A], reason="read"
        )
    assert client_pin(key).get_pin_retries()[0] == before - 1
    assert touches(key) == touched


def test_the_pin_blocks_after_its_retries_and_says_so(key: Path) -> None:
    client_pin(key).set_pin("4321")
    credential = enroll(soft_source(key, interaction=RecordingInteraction(pins=["4321"])))
    retries = client_pin(key).get_pin_retries()[0]
    messages = []
    for _ in range(retries):
        with pytest.raises(PinError) as caught:
            soft_source(key, interaction=RecordingInteraction(pins=["0000"])).derive(
                [credential], [SALT_A], reason="read"
            )
        messages.append(str(caught.value))
    with pytest.raises(PinError, match="blocked"):
        soft_source(key, interaction=RecordingInteraction(pins=["4321"])).derive(
            [credential], [SALT_A], reason="read"
        )
    assert all("\n" not in message for message in messages)
    assert any("blocked" in message for message in messages[-1:])


def test_presence_refused_is_a_presence_error_and_clears_the_prompt(
    key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interaction = RecordingInteraction()
    source = soft_source(key, interaction=interaction)
    credential = enroll(source)
    monkeypatch.setenv("SECRETS_SOFT_PRESENCE", "deny")
    with pytest.raises(PresenceError, match="not touched"):
        source.derive([credential], [SALT_A], reason="read 'pypi'")
    with pytest.raises(PresenceError):
        enroll(source)
    assert interaction.touching is False


def test_a_credential_of_another_key_is_the_wrong_key_and_costs_no_touch(tmp_path: Path) -> None:
    mine, other = tmp_path / "mine.json", tmp_path / "other.json"
    credential = enroll(soft_source(other))
    enroll(soft_source(mine))
    before = touches(mine)
    with pytest.raises(WrongKeyError, match="does not hold"):
        soft_source(mine).derive([credential], [SALT_A], reason="read 'pypi'")
    assert touches(mine) == before


def test_with_two_keys_derive_uses_the_one_holding_the_credential(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    on_second = enroll(soft_source(second))
    interaction = RecordingInteraction()
    both = soft_source(first, second, interaction=interaction)

    derived = both.derive([Credential(RP_ID, b"\x01" * 64), on_second], [SALT_A], reason="r")
    assert derived.credential == on_second
    assert str(second) in derived.authenticator
    assert interaction.choices == []
    assert not first.exists() or touches(first) == 0


def test_touch_prompts_name_the_key_only_when_several_are_connected(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    alone = RecordingInteraction()
    on_first = enroll(soft_source(first, interaction=alone))
    assert alone.touched_keys == [None]
    both = RecordingInteraction()
    on_second = soft_source(first, second, interaction=both).enroll(
        rp_id=RP_ID, user_name="a", salts=[SALT_A], reason="enrol", exclude=[on_first]
    )
    soft_source(first, second, interaction=both).derive([on_first], [SALT_A], reason="r")
    soft_source(first, second, interaction=both).derive(
        [on_second.credential], [SALT_A], reason="r"
    )
    assert both.touched_keys == [
        f"SoftAuthenticator ({second})",
        f"SoftAuthenticator ({first})",
        f"SoftAuthenticator ({second})",
    ]


def test_enrolling_a_backup_picks_the_key_not_yet_enrolled(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    interaction = RecordingInteraction()
    both = soft_source(first, second, interaction=interaction)
    primary = both.enroll(rp_id=RP_ID, user_name="a", salts=[SALT_A], reason="enrol")
    assert len(interaction.choices) == 1  # two candidates: the user chose (the first)
    assert str(first) in primary.authenticator

    backup = both.enroll(
        rp_id=RP_ID, user_name="a", salts=[SALT_A], reason="enrol", exclude=[primary.credential]
    )
    assert str(second) in backup.authenticator
    assert len(interaction.choices) == 1  # only one candidate left: nobody was asked
    assert backup.outputs != primary.outputs

    with pytest.raises(WrongKeyError, match="already enrolled"):
        both.enroll(
            rp_id=RP_ID,
            user_name="a",
            salts=[SALT_A],
            reason="enrol",
            exclude=[primary.credential, backup.credential],
        )


def test_the_users_choice_among_several_keys_is_honoured(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    interaction = RecordingInteraction(choice=1)
    enrolled = soft_source(first, second, interaction=interaction).enroll(
        rp_id=RP_ID, user_name="a", salts=[SALT_A], reason="enrol"
    )
    assert interaction.choices == [
        (f"SoftAuthenticator ({first})", f"SoftAuthenticator ({second})")
    ]
    assert str(second) in enrolled.authenticator


def test_no_key_at_all_is_a_no_device_error() -> None:
    source = FidoKeySource(discover=list, interaction=RecordingInteraction())
    with pytest.raises(NoDeviceError, match="SECRETS_AUTHENTICATOR=soft:PATH"):
        source.derive([Credential(RP_ID, b"x")], [SALT_A], reason="read")


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ([], ValueError),
        ([SALT_A, SALT_A, SALT_A], ValueError),
        ([SALT_A[:16]], ValueError),
        (["a" * 32], TypeError),
    ],
)
def test_malformed_salts_are_programming_errors(
    key: Path, bad: list[bytes], error: type[Exception]
) -> None:
    with pytest.raises(error, match="salts"):
        soft_source(key).derive([Credential(RP_ID, b"x")], bad, reason="read")
    assert not key.exists()  # refused before any key was opened
