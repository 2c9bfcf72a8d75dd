"""Keys that lack something, or nobody touches: SoftAuthenticator behind a thin transport.

The wrappers sit where a USB transport would, under python-fido2: one hides
extensions from authenticatorGetInfo as older keys lack them, one stands for a
key nobody touches until the key source gives up.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fido2 import cbor
from fido2.ctap import STATUS, CtapDevice
from fido2.ctap2.base import Ctap2
from fido2.hid import CTAPHID

from secrets_common.errors import PresenceError, UnsupportedDeviceError
from secrets_common.fido.devices import Authenticator
from secrets_common.fido.interaction import RecordingInteraction
from secrets_common.fido.source import FidoKeySource
from secrets_common.keysource import Credential
from secrets_common.soft import SoftAuthenticator

RP_ID = "tokenring.test"
SALT_A = bytes(range(32))
SALT_B = bytes(range(32, 64))
INFO_EXTENSIONS = 0x02


class HiddenExtensions(CtapDevice):
    """A SoftAuthenticator whose getInfo does not list ``hidden`` extensions."""

    def __init__(self, inner: SoftAuthenticator, hidden: frozenset[str]) -> None:
        self._inner = inner
        self._hidden = hidden

    @property
    def capabilities(self) -> int:
        return self._inner.capabilities

    def call(
        self,
        cmd: int,
        data: bytes = b"",
        event: threading.Event | None = None,
        on_keepalive: Callable[[STATUS], None] | None = None,
    ) -> bytes:
        response = self._inner.call(cmd, data, event, on_keepalive)
        if cmd == CTAPHID.CBOR and data[:1] == bytes([Ctap2.CMD.GET_INFO]) and response[0] == 0:
            info = cbor.decode(response[1:])
            if not isinstance(info, dict):
                raise TypeError("getInfo must answer a map")
            info[INFO_EXTENSIONS] = [e for e in info[INFO_EXTENSIONS] if e not in self._hidden]
            response = b"\0" + cbor.encode(info)
        return response

    @classmethod
    def list_devices(cls) -> Iterator[CtapDevice]:
        return iter(())


class NobodyTouches(CtapDevice):
    """A SoftAuthenticator that waits for a touch until the request is cancelled."""

    def __init__(self, path: Path) -> None:
        self._event: threading.Event | None = None
        self._inner = SoftAuthenticator(path, presence=self._wait_in_vain)

    def _wait_in_vain(self) -> bool:
        if self._event is None:
            raise RuntimeError("a touch was asked for without a way to cancel it")
        self._event.wait()  # set only by the key source's presence timeout
        return False

    @property
    def capabilities(self) -> int:
        return self._inner.capabilities

    def call(
        self,
        cmd: int,
        data: bytes = b"",
        event: threading.Event | None = None,
        on_keepalive: Callable[[STATUS], None] | None = None,
    ) -> bytes:
        self._event = event
        return self._inner.call(cmd, data, event, on_keepalive)

    @classmethod
    def list_devices(cls) -> Iterator[CtapDevice]:
        return iter(())


def source_over(
    make_device: Callable[[], CtapDevice],
    interaction: RecordingInteraction | None = None,
    timeout: float = 30.0,
) -> FidoKeySource:
    def discover() -> list[Authenticator]:
        return [Authenticator(name="Old key", transport="usb", path="test", device=make_device())]

    return FidoKeySource(
        discover=discover,
        interaction=interaction if interaction is not None else RecordingInteraction(),
        timeout=timeout,
    )


def touches(path: Path) -> int:
    count = json.loads(path.read_text())["touches"]
    assert isinstance(count, int)
    return count


def test_without_hmac_secret_mc_enrolment_takes_a_second_touch(tmp_path: Path) -> None:
    key = tmp_path / "old.json"
    interaction = RecordingInteraction()
    source = source_over(
        lambda: HiddenExtensions(SoftAuthenticator(key), frozenset({"hmac-secret-mc"})),
        interaction,
    )
    enrolled = source.enroll(
        rp_id=RP_ID, user_name="alice", salts=[SALT_A, SALT_B], reason="enrol this key"
    )
    assert touches(key) == 2
    assert interaction.touches == ["enrol this key", "enrol this key"]
    assert source.derive([enrolled.credential], [SALT_A, SALT_B], reason="r").outputs == (
        enrolled.outputs
    )
    assert touches(key) == 3


def test_a_key_without_hmac_secret_is_refused_before_any_touch(tmp_path: Path) -> None:
    key = tmp_path / "u2f-era.json"
    source = source_over(
        lambda: HiddenExtensions(
            SoftAuthenticator(key), frozenset({"hmac-secret", "hmac-secret-mc"})
        )
    )
    with pytest.raises(UnsupportedDeviceError, match="hmac-secret"):
        source.enroll(rp_id=RP_ID, user_name="a", salts=[SALT_A], reason="enrol")
    with pytest.raises(UnsupportedDeviceError, match="hmac-secret"):
        source.derive([Credential(RP_ID, b"\x01" * 32)], [SALT_A], reason="read")
    assert touches(key) == 0


def test_an_untouched_key_times_out_with_a_presence_error(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    credential = (
        source_over(lambda: SoftAuthenticator(key))
        .enroll(rp_id=RP_ID, user_name="a", salts=[SALT_A], reason="enrol")
        .credential
    )
    interaction = RecordingInteraction()
    # A tiny timeout: the key waits on the cancel event, which only the timer sets.
    source = source_over(lambda: NobodyTouches(key), interaction, timeout=0.01)
    with pytest.raises(PresenceError, match=r"not touched within 0\.01 s"):
        source.derive([credential], [SALT_A], reason="read 'pypi'")
    assert interaction.touches == ["read 'pypi'"]
    assert interaction.touching is False
    assert touches(key) == 1
