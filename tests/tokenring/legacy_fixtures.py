"""Vault files in the original TokenRing's format, made at test time.

They are written the way the original tool wrote them: python-fido2's client
against a security key (here the SoftAuthenticator), a credential with
hmac-secret under the relying party ``hardware.keychain.glyph.im``, one
assertion without user verification per salt, and Fernet keys that are the
urlsafe base64 of the hmac-secret outputs.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet
from fido2.client import DefaultClientDataCollector, Fido2Client
from fido2.cose import ES256
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
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from secrets_common import SoftAuthenticator

LEGACY_RP_ID = "hardware.keychain.glyph.im"


class LegacyKey:
    """One credential of the original tool on a SoftAuthenticator."""

    def __init__(self, key_file: Path) -> None:
        origin = f"https://{LEGACY_RP_ID}"
        self._client = Fido2Client(
            SoftAuthenticator(key_file),
            client_data_collector=DefaultClientDataCollector(origin),
            extensions=[HmacSecretExtension(allow_hmac_secret=True)],  # type: ignore[no-untyped-call]
        )
        options = PublicKeyCredentialCreationOptions(
            rp=PublicKeyCredentialRpEntity(id=LEGACY_RP_ID, name="Hardware Secret Keyring"),
            user=PublicKeyCredentialUserEntity(
                id=b"hardware_keyring_user", name="Hardware Keyring User"
            ),
            challenge=os.urandom(32),
            pub_key_cred_params=[
                PublicKeyCredentialParameters(
                    type=PublicKeyCredentialType.PUBLIC_KEY, alg=ES256.ALGORITHM
                )
            ],
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.DISCOURAGED,
                user_verification=UserVerificationRequirement.DISCOURAGED,
            ),
            extensions={"hmacCreateSecret": True},
        )
        response = self._client.make_credential(options)
        self.credential_id = bytes(response.raw_id)

    def output(self, salt: bytes) -> bytes:
        """hmac-secret of ``salt`` (one touch), as the original's ``key_from_salt``."""
        options = PublicKeyCredentialRequestOptions(
            challenge=os.urandom(32),
            rp_id=LEGACY_RP_ID,
            allow_credentials=[
                PublicKeyCredentialDescriptor(
                    type=PublicKeyCredentialType.PUBLIC_KEY, id=self.credential_id
                )
            ],
            user_verification=UserVerificationRequirement.DISCOURAGED,
            extensions={"hmacGetSecret": {"salt1": salt}},
        )
        result = self._client.get_assertion(options).get_response(0)
        secret = result.client_extension_results.hmac_get_secret
        assert secret is not None
        return bytes(secret.output1)

    def handle(self, salt: bytes) -> dict[str, object]:
        return {
            "salt": salt.hex(),
            "credential": {"rp_id": LEGACY_RP_ID, "credential_id": self.credential_id.hex()},
        }

    def encrypt(self, salt: bytes, plaintext: bytes) -> str:
        fernet = Fernet(base64.urlsafe_b64encode(self.output(salt)))
        return fernet.encrypt(plaintext).hex()


def write_legacy_vault(
    path: Path, key_file: Path, entries: Sequence[tuple[str, str, str]]
) -> LegacyKey:
    """Write an original-format vault holding ``entries`` (service, user, password)."""
    key = LegacyKey(key_file)
    rows = []
    for service, user, password in entries:
        salt = os.urandom(32)
        rows.append([service, user, key.handle(salt), key.encrypt(salt, password.encode())])
    vault_salt = os.urandom(32)
    document = {
        "key": key.handle(vault_salt),
        "data": key.encrypt(vault_salt, json.dumps(rows).encode()),
    }
    path.write_text(json.dumps(document))
    return key
