"""Non-resident credentials whose keys travel inside the credential ID.

A credential ID is ``version || nonce || AES-256-GCM(wrap key, secrets)``
with the RP ID hash as associated data, so a credential works only for the
RP it was made for and only on the authenticator whose master secret made
it. The wrapped secrets are the private key and the two hmac-secret
CredRandoms (with and without user verification).
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field
from typing import cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fido2.cose import ES256, CoseKey, EdDSA

from secrets_common.soft import capabilities

ES256_ALG = ES256.ALGORITHM
EDDSA_ALG = EdDSA.ALGORITHM

_VERSION = 1
_ALG_CODES = {ES256_ALG: 1, EDDSA_ALG: 2}
_FLAG_HMAC_SECRET = 0x01

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class CredentialKey:
    """The secrets of one credential, as unwrapped from its ID."""

    alg: int
    private_key: PrivateKey
    hmac_secret: bool
    cred_random_uv: bytes = field(repr=False)
    cred_random_no_uv: bytes = field(repr=False)

    @classmethod
    def generate(cls, alg: int, *, hmac_secret: bool) -> CredentialKey:
        private_key: PrivateKey
        if alg == ES256_ALG:
            private_key = ec.generate_private_key(ec.SECP256R1())
        elif alg == EDDSA_ALG:
            private_key = ed25519.Ed25519PrivateKey.generate()
        else:
            raise ValueError(f"unsupported algorithm {alg}")
        return cls(
            alg=alg,
            private_key=private_key,
            hmac_secret=hmac_secret,
            cred_random_uv=os.urandom(32),
            cred_random_no_uv=os.urandom(32),
        )

    def cose_public_key(self) -> CoseKey:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            key = ES256.from_cryptography_key(self.private_key.public_key())  # type: ignore[no-untyped-call]
        else:
            key = EdDSA.from_cryptography_key(self.private_key.public_key())  # type: ignore[no-untyped-call]
        return cast(CoseKey, key)

    def sign(self, message: bytes) -> bytes:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return self.private_key.sign(message, ec.ECDSA(hashes.SHA256()))
        return self.private_key.sign(message)

    def hmac_outputs(self, salts: list[bytes], *, uv: bool) -> bytes:
        """HMAC-SHA-256(CredRandom, salt) per salt, with the UV mode's CredRandom."""
        cred_random = self.cred_random_uv if uv else self.cred_random_no_uv
        return b"".join(hmac.digest(cred_random, salt, "sha256") for salt in salts)

    def private_bytes(self) -> bytes:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return self.private_key.private_numbers().private_value.to_bytes(32, "big")
        return self.private_key.private_bytes_raw()


def wrap_key(master_secret: bytes) -> bytes:
    """The key that wraps credentials, separate from other uses of the secret."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"secrets soft credential wrap v1"
    ).derive(master_secret)


def wrap(credential: CredentialKey, master_secret: bytes, rp_id_hash: bytes) -> bytes:
    """The credential ID for ``credential`` bound to one RP."""
    plain = (
        bytes([_ALG_CODES[credential.alg], _FLAG_HMAC_SECRET if credential.hmac_secret else 0])
        + credential.private_bytes()
        + credential.cred_random_uv
        + credential.cred_random_no_uv
    )
    nonce = os.urandom(capabilities.CREDENTIAL_NONCE_LENGTH)
    sealed = AESGCM(wrap_key(master_secret)).encrypt(nonce, plain, rp_id_hash)
    return bytes([_VERSION]) + nonce + sealed


def unwrap(credential_id: bytes, master_secret: bytes, rp_id_hash: bytes) -> CredentialKey | None:
    """The credential's secrets, or None if the ID is not one of ours for this RP."""
    if len(credential_id) != capabilities.CREDENTIAL_ID_LENGTH or credential_id[0] != _VERSION:
        return None
    nonce = credential_id[1 : 1 + capabilities.CREDENTIAL_NONCE_LENGTH]
    try:
        plain = AESGCM(wrap_key(master_secret)).decrypt(
            nonce, credential_id[1 + capabilities.CREDENTIAL_NONCE_LENGTH :], rp_id_hash
        )
    except InvalidTag:
        return None
    alg = {code: alg for alg, code in _ALG_CODES.items()}.get(plain[0])
    private = plain[2:34]
    private_key: PrivateKey
    if alg == ES256_ALG:
        private_key = ec.derive_private_key(int.from_bytes(private, "big"), ec.SECP256R1())
    elif alg == EDDSA_ALG:
        private_key = ed25519.Ed25519PrivateKey.from_private_bytes(private)
    else:
        return None
    return CredentialKey(
        alg=alg,
        private_key=private_key,
        hmac_secret=bool(plain[1] & _FLAG_HMAC_SECRET),
        cred_random_uv=plain[34:66],
        cred_random_no_uv=plain[66:98],
    )
