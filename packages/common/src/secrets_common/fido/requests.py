"""WebAuthn requests for hmac-secret, and reading their answers.

Shared by the CTAP client (:mod:`secrets_common.fido.source`) and the Windows
WebAuthn client (:mod:`secrets_common.fido.windows`), so that both ask for the
same things and check the answers the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fido2.client import DefaultClientDataCollector
from fido2.cose import ES256, EdDSA
from fido2.ctap2.extensions import HMACGetSecretOutput
from fido2.webauthn import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialCreationOptions,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialParameters,
    PublicKeyCredentialRequestOptions,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
    RegistrationResponse,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from secrets_common.errors import PinError, UnsupportedDeviceError
from secrets_common.keysource import SECRET_SIZE, Credential, Derivation

if TYPE_CHECKING:
    from fido2.client import AssertionSelection

USER_ID_SIZE = 16
CHALLENGE_SIZE = 32


def check_salts(salts: Sequence[bytes]) -> None:
    """Programming errors in the salts are ``TypeError``/``ValueError``, not key errors."""
    if not 1 <= len(salts) <= 2:
        raise ValueError(f"salts: expected 1 or 2 salts per touch, got {len(salts)}")
    for salt in salts:
        if not isinstance(salt, bytes):
            raise TypeError(f"salts: expected bytes, got {type(salt).__name__}")
        if len(salt) != SECRET_SIZE:
            raise ValueError(f"salts: expected {SECRET_SIZE} bytes, got {len(salt)}")


def origin(rp_id: str) -> str:
    """The origin python-fido2 verifies ``rp_id`` against."""
    return "https://" + rp_id


def client_data_collector(rp_id: str) -> DefaultClientDataCollector:
    """Client data for requests about ``rp_id``, from its own origin."""
    return DefaultClientDataCollector(origin(rp_id), verify=lambda rp, given: given == origin(rp))


def descriptor(credential: Credential) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        type=PublicKeyCredentialType.PUBLIC_KEY, id=credential.credential_id
    )


def _hmac_inputs(salts: Sequence[bytes]) -> dict[str, bytes]:
    inputs = {"salt1": salts[0]}
    if len(salts) == 2:
        inputs["salt2"] = salts[1]
    return inputs


def creation_options(
    *,
    rp_id: str,
    user_name: str,
    user_id: bytes,
    challenge: bytes,
    salts: Sequence[bytes],
    exclude: Sequence[Credential],
    verify_user: bool,
    timeout_ms: int | None = None,
) -> PublicKeyCredentialCreationOptions:
    """A non-resident hmac-secret credential, salts evaluated at creation if possible.

    ``verify_user`` asks for the PIN (or built-in UV); without it, a key that
    insists on its PIN for new credentials still asks. Either way the answer's
    UV flag, not this wish, is what gets recorded.
    """
    return PublicKeyCredentialCreationOptions(
        rp=PublicKeyCredentialRpEntity(name=rp_id, id=rp_id),
        user=PublicKeyCredentialUserEntity(name=user_name, id=user_id, display_name=user_name),
        challenge=challenge,
        pub_key_cred_params=[
            PublicKeyCredentialParameters(
                type=PublicKeyCredentialType.PUBLIC_KEY, alg=ES256.ALGORITHM
            ),
            PublicKeyCredentialParameters(
                type=PublicKeyCredentialType.PUBLIC_KEY, alg=EdDSA.ALGORITHM
            ),
        ],
        timeout=timeout_ms,
        exclude_credentials=[descriptor(c) for c in exclude if c.rp_id == rp_id] or None,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=(
                UserVerificationRequirement.REQUIRED
                if verify_user
                else UserVerificationRequirement.DISCOURAGED
            ),
        ),
        extensions={"hmacCreateSecret": True, "hmacGetSecret": _hmac_inputs(salts)},
    )


def request_options(
    credentials: Sequence[Credential],
    salts: Sequence[bytes],
    *,
    challenge: bytes,
    timeout_ms: int | None = None,
) -> PublicKeyCredentialRequestOptions:
    """An assertion in exactly the UV mode the credentials were enrolled with.

    All ``credentials`` must share one RP ID and one UV mode.
    """
    first = credentials[0]
    if any(c.rp_id != first.rp_id or c.uv != first.uv for c in credentials):
        raise ValueError("credentials: one request needs one RP ID and one UV mode")
    return PublicKeyCredentialRequestOptions(
        challenge=challenge,
        timeout=timeout_ms,
        rp_id=first.rp_id,
        allow_credentials=[descriptor(c) for c in credentials],
        user_verification=(
            UserVerificationRequirement.REQUIRED
            if first.uv
            else UserVerificationRequirement.DISCOURAGED
        ),
        extensions={"hmacGetSecret": _hmac_inputs(salts)},
    )


def registered_credential(
    response: RegistrationResponse, rp_id: str, authenticator: str
) -> tuple[Credential, HMACGetSecretOutput | None]:
    """The new credential (with the UV mode the key used) and any outputs made with it."""
    auth_data = response.response.attestation_object.auth_data
    results = response.client_extension_results
    if not results.hmac_create_secret:
        raise UnsupportedDeviceError(
            f"{authenticator} did not enable hmac-secret for the new credential:"
            " use a FIDO2 key with the hmac-secret extension"
        )
    credential = Credential(
        rp_id=rp_id, credential_id=bytes(response.raw_id), uv=auth_data.is_user_verified()
    )
    output = results.hmac_get_secret
    return credential, output if isinstance(output, HMACGetSecretOutput) else None


def derivation(
    selection: AssertionSelection,
    credentials: Sequence[Credential],
    salts: Sequence[bytes],
    authenticator: str,
) -> Derivation:
    """The outputs of an assertion, refused if the key used another UV mode."""
    response = selection.get_response(0)
    answered = bytes(response.raw_id)
    credential = next((c for c in credentials if c.credential_id == answered), None)
    if credential is None:
        raise UnsupportedDeviceError(f"{authenticator} answered with a credential not asked for")
    verified = response.response.authenticator_data.is_user_verified()
    if verified != credential.uv:
        # The other mode's outputs are a different key: returning them would
        # silently "decrypt" garbage or, worse, re-encrypt under it.
        raise PinError(
            f"{authenticator} now always verifies its user (alwaysUv), but this credential"
            " was enrolled without a PIN: turn alwaysUv off on the key to read it"
            if verified
            else f"{authenticator} did not verify the PIN this credential was enrolled with"
        )
    output = response.client_extension_results.hmac_get_secret
    return outputs_derivation(output, credential, salts, authenticator)


def outputs_derivation(
    output: object, credential: Credential, salts: Sequence[bytes], authenticator: str
) -> Derivation:
    """Check and package hmac-secret outputs, one per salt."""
    if not isinstance(output, HMACGetSecretOutput):
        raise UnsupportedDeviceError(
            f"{authenticator} returned no hmac-secret output:"
            " use a FIDO2 key with the hmac-secret extension"
        )
    outputs = (output.output1,) if len(salts) == 1 else (output.output1, output.output2)
    if any(not isinstance(o, bytes) or len(o) != SECRET_SIZE for o in outputs):
        raise UnsupportedDeviceError(f"{authenticator} returned malformed hmac-secret outputs")
    return Derivation(
        credential=credential,
        outputs=tuple(bytes(o) for o in outputs if o is not None),
        authenticator=authenticator,
    )
