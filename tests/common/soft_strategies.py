"""Strategies and python-fido2 client helpers for the SoftAuthenticator tests.

Everything here talks to the software key the way an application talks to a
USB key: through ``Fido2Client`` (and ``Ctap2``/``ClientPin`` for PIN
management), never through the authenticator's internals.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from fido2.client import DefaultClientDataCollector, Fido2Client, UserInteraction
from fido2.ctap2.base import Ctap2
from fido2.ctap2.extensions import HmacSecretExtension
from fido2.webauthn import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialCreationOptions,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialParameters,
    PublicKeyCredentialRequestOptions,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
    UserVerificationRequirement,
)
from hypothesis import settings
from hypothesis import strategies as st

from secrets_common import SoftAuthenticator

if TYPE_CHECKING:
    from collections.abc import Callable

    from fido2.ctap import CtapDevice
    from fido2.ctap2.pin import ClientPin

ORIGIN = "https://login.example.com"
RP_ID = "example.com"

# Each example drives the whole client stack several times: a fifth of the
# profile's examples keeps the suite fast and still scales with "thorough".
FEW_EXAMPLES = max(5, settings().max_examples // 5)

salts = st.binary(min_size=32, max_size=32)
pins = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=4, max_size=16
).filter(lambda pin: len(pin.encode("utf-8")) <= 63)


class RecordingInteraction(UserInteraction):
    """Answers PIN requests with a fixed PIN and counts touch prompts."""

    def __init__(self, pin: str | None) -> None:
        self.pin = pin
        self.touch_prompts = 0
        self.pin_requests = 0

    def prompt_up(self) -> None:
        self.touch_prompts += 1

    def request_pin(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> str | None:
        self.pin_requests += 1
        return self.pin


def uv_requirement(uv: bool) -> UserVerificationRequirement:
    return UserVerificationRequirement.REQUIRED if uv else UserVerificationRequirement.DISCOURAGED


@attrs.define
class Enrolment:
    credential_id: bytes
    hmac_enabled: bool
    mc_outputs: tuple[bytes, bytes | None] | None
    registration: Any


@attrs.define
class SoftKey:
    """A SoftAuthenticator on a path, used through python-fido2's client."""

    path: Path
    pin: str | None = None
    connect: Callable[[Path], CtapDevice] = SoftAuthenticator
    """How the client reaches the key: the bare device, or a transport before it."""
    device: CtapDevice = attrs.field(init=False)
    interaction: RecordingInteraction = attrs.field(init=False)
    _client: Fido2Client | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        self.device = self.connect(self.path)
        self.interaction = RecordingInteraction(self.pin)

    def reopen(self) -> SoftKey:
        """A new authenticator object on the same state file ("replug")."""
        return SoftKey(self.path, self.pin, self.connect)

    def client(self) -> Fido2Client:
        """One client per key, as an application keeps one per device."""
        if self._client is None:
            self._client = Fido2Client(
                self.device,
                client_data_collector=DefaultClientDataCollector(ORIGIN),
                user_interaction=self.interaction,
                extensions=[HmacSecretExtension(allow_hmac_secret=True)],  # type: ignore[no-untyped-call]
            )
        return self._client

    def ctap2(self) -> Ctap2:
        return Ctap2(self.device)

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def touches(self) -> int:
        touches = self.state()["touches"]
        if not isinstance(touches, int):
            raise TypeError("touches is not an integer")
        return touches

    def enroll(
        self,
        *,
        uv: bool = False,
        salt: bytes | None = None,
        salt2: bytes | None = None,
        rp_id: str = RP_ID,
        alg: int = -7,
        hmac: bool = True,
        exclude: list[bytes] | None = None,
    ) -> Enrolment:
        extensions: dict[str, Any] = {}
        if hmac:
            extensions["hmacCreateSecret"] = True
            if salt is not None:
                extensions["hmacGetSecret"] = {"salt1": salt, "salt2": salt2}
        options = PublicKeyCredentialCreationOptions(
            rp=PublicKeyCredentialRpEntity(id=rp_id, name="Example"),
            user=PublicKeyCredentialUserEntity(id=b"user-1", name="user"),
            challenge=os.urandom(16),
            pub_key_cred_params=[
                PublicKeyCredentialParameters(type=PublicKeyCredentialType.PUBLIC_KEY, alg=alg)
            ],
            exclude_credentials=[
                PublicKeyCredentialDescriptor(type=PublicKeyCredentialType.PUBLIC_KEY, id=c)
                for c in exclude or []
            ]
            or None,
            authenticator_selection=AuthenticatorSelectionCriteria(
                user_verification=uv_requirement(uv)
            ),
            extensions=extensions or None,
        )
        registration = self.client().make_credential(options)
        results = registration.client_extension_results
        secret = results.hmac_get_secret
        return Enrolment(
            credential_id=registration.raw_id,
            hmac_enabled=results.hmac_create_secret is True,
            mc_outputs=None if secret is None else (secret.output1, secret.output2 or None),
            registration=registration,
        )

    def derive(
        self,
        credential_id: bytes,
        salt1: bytes,
        salt2: bytes | None = None,
        *,
        uv: bool = False,
        rp_id: str = RP_ID,
    ) -> tuple[bytes, bytes | None]:
        response = self.authenticate(credential_id, uv=uv, rp_id=rp_id, salt1=salt1, salt2=salt2)
        secret = response.client_extension_results.hmac_get_secret
        if secret is None:
            raise AssertionError("no hmac-secret output")
        return secret.output1, secret.output2 or None

    def authenticate(
        self,
        credential_id: bytes,
        *,
        uv: bool = False,
        rp_id: str = RP_ID,
        salt1: bytes | None = None,
        salt2: bytes | None = None,
    ) -> Any:
        extensions = None
        if salt1 is not None:
            extensions = {"hmacGetSecret": {"salt1": salt1, "salt2": salt2}}
        options = PublicKeyCredentialRequestOptions(
            challenge=os.urandom(16),
            rp_id=rp_id,
            allow_credentials=[
                PublicKeyCredentialDescriptor(
                    type=PublicKeyCredentialType.PUBLIC_KEY, id=credential_id
                )
            ],
            user_verification=uv_requirement(uv),
            extensions=extensions,
        )
        return self.client().get_assertion(options).get_response(0)


# CBOR values python-fido2 can encode: what a confused or hostile platform
# might put anywhere in a request.
cbor_scalars = (
    st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.binary(max_size=80)
    | st.text(max_size=20)
    | st.booleans()
)
cbor_values = st.recursive(
    cbor_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.integers(-3, 12) | st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
request_maps = st.dictionaries(st.integers(0, 12), cbor_values, max_size=8)
