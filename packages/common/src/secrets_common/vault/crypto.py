"""The vault's key derivations and the age-style sealing of entry keys.

Every derivation has its own HKDF info string, so no two keys share an
input-and-purpose pair. Nothing here touches files or authenticators.
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from secrets_common.vault.opener import ScryptParams

KEY_SIZE = 32
SEAL_SIZE = KEY_SIZE + KEY_SIZE + 16
"""Ephemeral public key, then the entry key encrypted with AES-256-GCM (tag included)."""

INFO_INDEX = b"secrets-vault v1 index kek"
INFO_READ = b"secrets-vault v1 read kek"
INFO_SEAL = b"secrets-vault v1 entry seal"
# The wrapping key is fresh for every seal (a new ephemeral key pair), so a
# fixed nonce never repeats under one key; age relies on the same argument.
_NONCE = bytes(12)


class SealError(Exception):
    """A sealed entry key did not open (internal; the vault names the file)."""


def hkdf(material: bytes, *, salt: bytes, info: bytes) -> bytes:
    """32 bytes from HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=salt, info=info).derive(material)


def fernet_key(raw: bytes) -> bytes:
    """The Fernet key (url-safe base64) for 32 raw bytes."""
    return base64.urlsafe_b64encode(raw)


def wrap(kek: bytes, secret: bytes, at: int) -> bytes:
    """``secret`` as a Fernet token under the raw 32-byte ``kek``."""
    return Fernet(fernet_key(kek)).encrypt_at_time(secret, at)


def unwrap(kek: bytes, token: bytes) -> bytes:
    """Inverse of :func:`wrap`; raises InvalidToken on any mismatch."""
    return Fernet(fernet_key(kek)).decrypt(token)


def scrypt(code: bytes, salt: bytes, params: ScryptParams) -> bytes:
    """A recovery slot's 32-byte secret from the raw bytes of its code."""
    return Scrypt(salt=salt, length=KEY_SIZE, n=params.n, r=params.r, p=params.p).derive(code)


def public_bytes(private: bytes) -> bytes:
    """The X25519 public key of a raw private key."""
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def seal(entry_key: bytes, recipient: bytes, ephemeral: bytes, name: bytes) -> bytes:
    """Encrypt ``entry_key`` to the X25519 public key ``recipient``.

    ``ephemeral`` is 32 fresh random bytes (the one-time private key); the
    entry name is authenticated data, so a sealed key cannot be moved to
    another name.
    """
    private = X25519PrivateKey.from_private_bytes(ephemeral)
    ephemeral_public = private.public_key().public_bytes_raw()
    shared = private.exchange(X25519PublicKey.from_public_bytes(recipient))
    key = hkdf(shared, salt=ephemeral_public + recipient, info=INFO_SEAL)
    return ephemeral_public + AESGCM(key).encrypt(_NONCE, entry_key, name)


def unseal(sealed: bytes, private: X25519PrivateKey, recipient: bytes, name: bytes) -> bytes:
    """Inverse of :func:`seal` given the recipient's private key."""
    if len(sealed) != SEAL_SIZE:
        raise SealError("sealed key has the wrong size")
    ephemeral_public = sealed[:KEY_SIZE]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = hkdf(shared, salt=ephemeral_public + recipient, info=INFO_SEAL)
        return AESGCM(key).decrypt(_NONCE, sealed[KEY_SIZE:], name)
    except (InvalidTag, ValueError) as error:
        raise SealError(str(error) or type(error).__name__) from None


def encrypt_value(entry_key: bytes, value: bytes, at: int) -> bytes:
    """An entry's value as a Fernet token under its own key."""
    return Fernet(fernet_key(entry_key)).encrypt_at_time(value, at)


def decrypt_value(entry_key: bytes, token: bytes) -> bytes:
    """Inverse of :func:`encrypt_value`; raises InvalidToken."""
    return Fernet(fernet_key(entry_key)).decrypt(token)


__all__ = [
    "InvalidToken",
    "SealError",
    "decrypt_value",
    "encrypt_value",
    "hkdf",
    "public_bytes",
    "scrypt",
    "seal",
    "unseal",
    "unwrap",
    "wrap",
]
