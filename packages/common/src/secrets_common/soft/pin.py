"""The authenticator's half of PIN/UV auth protocols 1 and 2 (CTAP 2.1, 6.5.6-7).

Both start from an ECDH P-256 agreement between a key the authenticator
keeps for the power cycle and a fresh platform key; they differ in how the
shared secret is derived and in the cipher and MAC built on it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fido2.ctap import CtapError

from secrets_common.soft import capabilities

_ZERO_IV = b"\x00" * 16


@dataclass(frozen=True, slots=True)
class PinProtocol:
    """One PIN/UV auth protocol version, seen from the authenticator."""

    version: int

    def shared_secret(self, private_key: ec.EllipticCurvePrivateKey, peer: object) -> bytes:
        """ECDH with the platform's COSE key; INVALID_PARAMETER if it is unusable."""
        z = private_key.exchange(ec.ECDH(), _peer_public_key(peer))
        if self.version == 1:
            return hashlib.sha256(z).digest()
        return _hkdf(z, b"CTAP2 HMAC key") + _hkdf(z, b"CTAP2 AES key")

    def encrypt(self, key: bytes, plaintext: bytes) -> bytes:
        if self.version == 1:
            return _cbc(key, _ZERO_IV, plaintext, encrypt=True)
        iv = os.urandom(16)
        return iv + _cbc(key[32:], iv, plaintext, encrypt=True)

    def decrypt(self, key: bytes, ciphertext: bytes) -> bytes:
        """Decrypt, or raise CtapError(INVALID_LENGTH) for a malformed ciphertext."""
        if self.version == 1:
            iv, body, aes_key = _ZERO_IV, ciphertext, key
        else:
            iv, body, aes_key = ciphertext[:16], ciphertext[16:], key[32:]
            if len(iv) != 16:
                raise CtapError(CtapError.ERR.INVALID_LENGTH)
        if not body or len(body) % 16:
            raise CtapError(CtapError.ERR.INVALID_LENGTH)
        return _cbc(aes_key, iv, body, encrypt=False)

    def authenticate(self, key: bytes, message: bytes) -> bytes:
        if self.version == 1:
            return hmac.digest(key, message, "sha256")[:16]
        return hmac.digest(key[:32], message, "sha256")

    def verify(self, key: bytes, message: bytes, signature: bytes) -> bool:
        return hmac.compare_digest(self.authenticate(key, message), signature)


def protocol(version: object) -> PinProtocol:
    """The protocol a request names, or INVALID_PARAMETER if unsupported."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise CtapError(CtapError.ERR.CBOR_UNEXPECTED_TYPE)
    if version not in capabilities.PIN_PROTOCOLS:
        raise CtapError(CtapError.ERR.INVALID_PARAMETER)
    return PinProtocol(version)


def cose_public_key(private_key: ec.EllipticCurvePrivateKey) -> dict[int, Any]:
    """The keyAgreement map getKeyAgreement returns (alg -25 as the spec asks)."""
    numbers = private_key.public_key().public_numbers()
    return {
        1: 2,
        3: -25,
        -1: 1,
        -2: numbers.x.to_bytes(32, "big"),
        -3: numbers.y.to_bytes(32, "big"),
    }


def _peer_public_key(peer: object) -> ec.EllipticCurvePublicKey:
    if not isinstance(peer, Mapping):
        raise CtapError(CtapError.ERR.CBOR_UNEXPECTED_TYPE)
    x, y = peer.get(-2), peer.get(-3)
    if peer.get(1) != 2 or peer.get(-1) != 1:
        raise CtapError(CtapError.ERR.INVALID_PARAMETER)
    if not isinstance(x, bytes) or not isinstance(y, bytes):
        raise CtapError(CtapError.ERR.INVALID_PARAMETER)
    if len(x) != 32 or len(y) != 32:
        raise CtapError(CtapError.ERR.INVALID_PARAMETER)
    try:
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except ValueError:
        # Not a point on the curve.
        raise CtapError(CtapError.ERR.INVALID_PARAMETER) from None


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"\x00" * 32, info=info).derive(secret)


def _cbc(key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    context = cipher.encryptor() if encrypt else cipher.decryptor()
    return context.update(data) + context.finalize()
