"""Touches: granted and counted exactly, or refused like an untouched key."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest
from fido2.client import ClientError
from fido2.ctap import CtapError
from fido2.hid import CTAPHID
from fido2.webauthn import (
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRequestOptions,
    PublicKeyCredentialType,
    UserVerificationRequirement,
)

from secrets_common import SoftAuthenticator
from secrets_common.soft import PRESENCE_VARIABLE
from tests.common.soft_strategies import RP_ID, SoftKey


@pytest.fixture
def key(tmp_path: Path) -> SoftKey:
    return SoftKey(tmp_path / "key.json")


def test_make_credential_and_assertion_each_count_one_touch(key: SoftKey) -> None:
    enrolment = key.enroll(salt=b"\x00" * 32)
    assert key.touches() == 1
    # The client first probes the allow list with up=false: no touch for that.
    key.derive(enrolment.credential_id, b"\x01" * 32, b"\x02" * 32)
    assert key.touches() == 2
    key.authenticate(enrolment.credential_id)
    assert key.touches() == 3
    assert key.interaction.touch_prompts == 3


def test_selection_counts_one_touch(key: SoftKey) -> None:
    key.client().selection()
    assert key.touches() == 1


def test_denied_presence_is_a_timeout_and_counts_nothing(
    key: SoftKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrolment = key.enroll()
    before = key.touches()
    # Read at each request: the same device object starts refusing.
    monkeypatch.setenv(PRESENCE_VARIABLE, "deny")
    with pytest.raises(ClientError) as caught:
        key.derive(enrolment.credential_id, b"\x01" * 32)
    assert caught.value.code == ClientError.ERR.TIMEOUT
    with pytest.raises(ClientError) as caught:
        key.enroll()
    assert caught.value.code == ClientError.ERR.TIMEOUT
    assert key.touches() == before
    monkeypatch.delenv(PRESENCE_VARIABLE)
    key.derive(enrolment.credential_id, b"\x01" * 32)
    assert key.touches() == before + 1


def test_excluded_credential_is_refused_after_a_touch(key: SoftKey) -> None:
    enrolment = key.enroll()
    with pytest.raises(ClientError) as caught:
        key.enroll(exclude=[enrolment.credential_id])
    assert caught.value.code == ClientError.ERR.DEVICE_INELIGIBLE
    assert key.touches() == 2


def test_foreign_exclude_list_does_not_stop_enrolment(tmp_path: Path, key: SoftKey) -> None:
    other = SoftKey(tmp_path / "other.json").enroll()
    key.enroll(exclude=[other.credential_id])
    assert key.touches() == 1


def test_assertion_without_matching_credential_still_asks_for_the_touch(
    tmp_path: Path, key: SoftKey
) -> None:
    other = SoftKey(tmp_path / "other.json").enroll()
    with pytest.raises(ClientError):
        key.authenticate(other.credential_id)
    assert key.touches() == 1


def test_concurrent_touches_from_many_authenticator_objects_are_all_counted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.json"
    errors: list[BaseException] = []

    def touch_several_times() -> None:
        try:
            soft = SoftKey(path)
            for _ in range(5):
                soft.client().selection()
        except BaseException as error:  # reported to the main thread below
            errors.append(error)

    threads = [threading.Thread(target=touch_several_times) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert SoftKey(path).touches() == 30


def _touch_in_another_process(path: str, count: int) -> None:
    soft = SoftKey(Path(path))
    for _ in range(count):
        soft.client().selection()


def test_concurrent_touches_from_several_processes_are_all_counted(tmp_path: Path) -> None:
    path = tmp_path / "shared.json"
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_touch_in_another_process, args=(str(path), 10)) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    # This process touches too, while the others do.
    _touch_in_another_process(str(path), 10)
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert SoftKey(path).touches() == 40


def test_cancelled_request_is_a_timeout_without_a_touch(key: SoftKey) -> None:
    enrolment = key.enroll()
    cancelled = threading.Event()
    cancelled.set()
    with pytest.raises(ClientError) as caught:
        key.client().get_assertion(
            PublicKeyCredentialRequestOptions(
                challenge=b"\x00" * 16,
                rp_id=RP_ID,
                allow_credentials=[
                    PublicKeyCredentialDescriptor(
                        type=PublicKeyCredentialType.PUBLIC_KEY, id=enrolment.credential_id
                    )
                ],
                user_verification=UserVerificationRequirement.DISCOURAGED,
            ),
            event=cancelled,
        )
    assert caught.value.code == ClientError.ERR.TIMEOUT
    assert key.touches() == 1


def test_presence_can_be_injected(tmp_path: Path) -> None:
    answers = [True, False]
    device = SoftAuthenticator(tmp_path / "key.json", presence=lambda: answers.pop(0))
    assert device.call(CTAPHID.CBOR, b"\x0b") == b"\x00"
    assert device.call(CTAPHID.CBOR, b"\x0b") == bytes([CtapError.ERR.USER_ACTION_TIMEOUT])
    assert answers == []


@pytest.mark.parametrize("value", ["deny", "DENY", " deny\n"])
def test_deny_is_read_case_insensitively(
    key: SoftKey, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(PRESENCE_VARIABLE, value)
    with pytest.raises(ClientError):
        key.client().selection()
    assert key.touches() == 0


def test_after_grants_the_touch_once_the_delay_is_over(
    key: SoftKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PRESENCE_VARIABLE, "after:0")
    key.client().selection()
    assert key.touches() == 1


def test_after_is_cut_short_by_a_cancel_and_counts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PRESENCE_VARIABLE, "after:3600")
    device = SoftAuthenticator(tmp_path / "key.json")
    cancelled = threading.Event()
    answer = device.call(
        CTAPHID.CBOR, b"\x0b", event=cancelled, on_keepalive=lambda _s: cancelled.set()
    )
    assert answer == bytes([CtapError.ERR.KEEPALIVE_CANCEL])
    assert SoftKey(tmp_path / "key.json").touches() == 0
