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
from typing import Any

import pytest
from fido2 import cbor
from fido2.ctap import STATUS, CtapDevice, CtapError
from fido2.ctap2.base import Ctap2
from fido2.ctap2.pin import ClientPin
from fido2.hid import CTAPHID

from secrets_common.errors import PinError, PresenceError, UnsupportedDeviceError
from secrets_common.fido.devices import Authenticator
from secrets_common.fido.interaction import RecordingInteraction
from secrets_common.fido.source import FidoKeySource
from secrets_common.keysource import Credential
from secrets_common.soft import SoftAuthenticator

RP_ID = "tokenring.test"
SALT_A = bytes(range(32))
SALT_B = bytes(range(32, 64))
INFO_EXTENSIONS = 0x02
INFO_OPTIONS = 0x04
GA_OPTIONS = 0x05
GA_PIN_UV_AUTH_PARAM = 0x06


class Transport(CtapDevice):
    """A SoftAuthenticator behind a transport that tests can bend (a real key's quirks)."""

    def __init__(self, inner: SoftAuthenticator) -> None:
        self._inner = inner

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
        return self._inner.call(cmd, data, event, on_keepalive)

    @classmethod
    def list_devices(cls) -> Iterator[CtapDevice]:
        return iter(())


class EditedInfo(Transport):
    """A SoftAuthenticator whose getInfo answer passes through ``edit`` first."""

    def __init__(self, inner: SoftAuthenticator, edit: Callable[[dict[int, Any]], None]) -> None:
        super().__init__(inner)
        self._edit = edit

    def call(
        self,
        cmd: int,
        data: bytes = b"",
        event: threading.Event | None = None,
        on_keepalive: Callable[[STATUS], None] | None = None,
    ) -> bytes:
        response = super().call(cmd, data, event, on_keepalive)
        if cmd == CTAPHID.CBOR and data[:1] == bytes([Ctap2.CMD.GET_INFO]) and response[0] == 0:
            info = cbor.decode(response[1:])
            if not isinstance(info, dict):
                raise TypeError("getInfo must answer a map")
            self._edit(info)
            response = b"\0" + cbor.encode(info)
        return response


def hiding(*extensions: str) -> Callable[[dict[int, Any]], None]:
    def edit(info: dict[int, Any]) -> None:
        info[INFO_EXTENSIONS] = [e for e in info[INFO_EXTENSIONS] if e not in extensions]

    return edit


def always_uv(info: dict[int, Any]) -> None:
    info[INFO_OPTIONS] = {**info[INFO_OPTIONS], "alwaysUv": True}


class InsistsOnUv(Transport):
    """A SoftAuthenticator that answers PUAT_REQUIRED to a touch without a PIN token.

    Like a key whose policy changed to require UV for assertions: python-fido2
    then retries with the PIN on its own.
    """

    def call(
        self,
        cmd: int,
        data: bytes = b"",
        event: threading.Event | None = None,
        on_keepalive: Callable[[STATUS], None] | None = None,
    ) -> bytes:
        if cmd == CTAPHID.CBOR and data[:1] == bytes([Ctap2.CMD.GET_ASSERTION]):
            request = cbor.decode(data[1:])
            if not isinstance(request, dict):
                raise TypeError("getAssertion takes a map")
            wants_touch = (request.get(GA_OPTIONS) or {}).get("up", True)
            if wants_touch and GA_PIN_UV_AUTH_PARAM not in request:
                return bytes([CtapError.ERR.PUAT_REQUIRED])
        return super().call(cmd, data, event, on_keepalive)


class NobodyTouches(Transport):
    """A SoftAuthenticator that waits for a touch until the request is cancelled."""

    def __init__(self, path: Path) -> None:
        self._event: threading.Event | None = None
        super().__init__(SoftAuthenticator(path, presence=self._wait_in_vain))

    def _wait_in_vain(self) -> bool:
        if self._event is None:
            raise RuntimeError("a touch was asked for without a way to cancel it")
        self._event.wait()  # set only by the key source's presence timeout
        return False

    def call(
        self,
        cmd: int,
        data: bytes = b"",
        event: threading.Event | None = None,
        on_keepalive: Callable[[STATUS], None] | None = None,
    ) -> bytes:
        self._event = event
        return super().call(cmd, data, event, on_keepalive)


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
        lambda: EditedInfo(SoftAuthenticator(key), hiding("hmac-secret-mc")),
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
        lambda: EditedInfo(SoftAuthenticator(key), hiding("hmac-secret", "hmac-secret-mc"))
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


def test_a_key_turned_always_uv_refuses_a_credential_enrolled_without_uv(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    enrolled = source_over(lambda: SoftAuthenticator(key)).enroll(
        rp_id=RP_ID, user_name="a", salts=[SALT_A], reason="enrol"
    )
    assert enrolled.credential.uv is False
    interaction = RecordingInteraction(pins=["4321"])
    source = source_over(lambda: EditedInfo(SoftAuthenticator(key), always_uv), interaction)
    # Reading with UV would give other outputs: a wrong key, silently. Refuse instead.
    with pytest.raises(PinError, match="alwaysUv"):
        source.derive([enrolled.credential], [SALT_A], reason="read")
    assert interaction.touches == []
    assert interaction.pin_requests == []


def test_outputs_made_with_uv_are_never_returned_for_a_credential_enrolled_without(
    tmp_path: Path,
) -> None:
    key = tmp_path / "key.json"
    enrolled = source_over(lambda: SoftAuthenticator(key)).enroll(
        rp_id=RP_ID, user_name="a", salts=[SALT_A], reason="enrol"
    )
    ClientPin(Ctap2(SoftAuthenticator(key))).set_pin("4321")
    interaction = RecordingInteraction(pins=["4321"])
    source = source_over(lambda: InsistsOnUv(SoftAuthenticator(key)), interaction)
    with pytest.raises(PinError, match="alwaysUv"):
        source.derive([enrolled.credential], [SALT_A], reason="read")
    assert interaction.pin_requests  # python-fido2 did fall back to the PIN...
    assert interaction.touching is False  # ...and the answer was thrown away
