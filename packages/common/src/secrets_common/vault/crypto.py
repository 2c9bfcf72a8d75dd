"""The vault's key derivations and the age-style sealing of entry keys.

Every derivation has its own HKDF info string, so no two keys share an
input-and-purpose pair. Nothing here touches files or authenticators.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
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
INFO_V2_INDEX = b"secrets-vault v2 index kek"
INFO_V2_ESCROW = b"secrets-vault v2 escrow kek"
INFO_V2_ENTRY = b"secrets-vault v2 entry kek"
INFO_V2_SEAL = b"secrets-vault v2 escrow seal"
_INDEX_SALT = b"secrets-vault v2 index salt\x00"
_ENTRY_SALT = b"secrets-vault v2 entry salt\x00"
NONCE_SIZE = 12
BOX_SIZE = NONCE_SIZE + KEY_SIZE + 16
"""A 32-byte key boxed with AES-256-GCM: random nonce, ciphertext, tag."""
# The wrapping key is fresh for every seal (a new ephemeral key pair), so a
# fixed nonce never repeats under one key; age relies on the same argument.
_NONCE = bytes(12)
_FERNET_VERSION = b"\x80"
_IV_SIZE = 16
_FERNET_MIN = 1 + 8 + _IV_SIZE + 16 + 32


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


def fernet_encrypt_raw(key: bytes, plain: bytes, at: int, iv: bytes) -> bytes:
    """A Fernet token under the raw 32-byte ``key``, as bytes (not base64).

    Identical to ``Fernet(base64url(key)).encrypt_at_time`` once base64url
    encoded (a test holds the two equal). The index can be megabytes and
    cryptography's Fernet spends most of its time on base64 in both
    directions; this keeps the format and drops the text encoding.
    """
    if len(iv) != _IV_SIZE:
        raise ValueError("the IV must be 16 bytes")
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key[16:]), modes.CBC(iv)).encryptor()
    body = (
        _FERNET_VERSION
        + at.to_bytes(8, "big")
        + iv
        + encryptor.update(padded)
        + encryptor.finalize()
    )
    signer = hmac.HMAC(key[:16], hashes.SHA256())
    signer.update(body)
    return body + signer.finalize()


def fernet_decrypt_raw(key: bytes, token: bytes) -> bytes:
    """Inverse of :func:`fernet_encrypt_raw`; InvalidToken on any mismatch.

    The MAC is checked before anything is decrypted.
    """
    if len(token) < _FERNET_MIN or token[:1] != _FERNET_VERSION:
        raise InvalidToken
    if (len(token) - _FERNET_MIN) % 16:
        raise InvalidToken
    verifier = hmac.HMAC(key[:16], hashes.SHA256())
    verifier.update(token[:-32])
    try:
        verifier.verify(token[-32:])
    except InvalidSignature:
        raise InvalidToken from None
    iv = token[9 : 9 + _IV_SIZE]
    decryptor = Cipher(algorithms.AES(key[16:]), modes.CBC(iv)).decryptor()
    padded = decryptor.update(token[9 + _IV_SIZE : -32]) + decryptor.finalize()
    unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise InvalidToken from None


def scrypt(code: bytes, salt: bytes, params: ScryptParams) -> bytes:
    """A recovery slot's 32-byte secret from the raw bytes of its code."""
    return Scrypt(salt=salt, length=KEY_SIZE, n=params.n, r=params.r, p=params.p).derive(code)


def public_bytes(private: bytes) -> bytes:
    """The X25519 public key of a raw private key."""
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def seal(
    entry_key: bytes, recipient: bytes, ephemeral: bytes, name: bytes, info: bytes = INFO_SEAL
) -> bytes:
    """Encrypt ``entry_key`` to the X25519 public key ``recipient``.

    ``ephemeral`` is 32 fresh random bytes (the one-time private key); the
    entry name is authenticated data, so a sealed key cannot be moved to
    another name.
    """
    private = X25519PrivateKey.from_private_bytes(ephemeral)
    ephemeral_public = private.public_key().public_bytes_raw()
    shared = private.exchange(X25519PublicKey.from_public_bytes(recipient))
    key = hkdf(shared, salt=ephemeral_public + recipient, info=info)
    return ephemeral_public + AESGCM(key).encrypt(_NONCE, entry_key, name)


def unseal(
    sealed: bytes,
    private: X25519PrivateKey,
    recipient: bytes,
    name: bytes,
    info: bytes = INFO_SEAL,
) -> bytes:
    """Inverse of :func:`seal` given the recipient's private key."""
    if len(sealed) != SEAL_SIZE:
        raise SealError("sealed key has the wrong size")
    ephemeral_public = sealed[:KEY_SIZE]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = hkdf(shared, salt=ephemeral_public + recipient, info=info)
        return AESGCM(key).decrypt(_NONCE, sealed[KEY_SIZE:], name)
    except (InvalidTag, ValueError) as error:
        raise SealError(str(error) or type(error).__name__) from None


def index_salt(vault_id: bytes, epoch: bytes, escrow_public: bytes) -> bytes:
    """The hmac-secret salt that opens the index: a digest of the header's public values.

    A header whose escrow key (or epoch) was changed asks every enrolled key
    for a different salt, so its index key no longer opens: binding those
    values costs no field and no extra salt in any assertion.
    """
    return hashlib.sha256(_INDEX_SALT + vault_id + epoch + escrow_public).digest()


def entry_salt(vault_id: bytes, name: bytes) -> bytes:
    """The hmac-secret salt of entry ``name``: one salt, one entry."""
    return hashlib.sha256(_ENTRY_SALT + vault_id + name).digest()


def box(key: bytes, secret: bytes, aad: bytes, nonce: bytes) -> bytes:
    """``secret`` under AES-256-GCM with a fresh 12-byte ``nonce`` (kept in front)."""
    if len(nonce) != NONCE_SIZE:
        raise ValueError("the nonce must be 12 bytes")
    return nonce + AESGCM(key).encrypt(nonce, secret, aad)


def unbox(key: bytes, boxed: bytes, aad: bytes) -> bytes:
    """Inverse of :func:`box`; SealError on any mismatch."""
    try:
        return AESGCM(key).decrypt(boxed[:NONCE_SIZE], boxed[NONCE_SIZE:], aad)
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
