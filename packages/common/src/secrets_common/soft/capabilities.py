"""What the software key announces in getInfo, apart from the code behind it.

The handlers of makeCredential, getAssertion and clientPIN import these from
here; getInfo and the PIN-retries read need nothing else, so that
`secrets token list` does not load the handlers (and their ciphers).
"""

from __future__ import annotations

from fido2.cose import ES256, EdDSA

EXTENSION_HMAC = "hmac-secret"
EXTENSION_HMAC_MC = "hmac-secret-mc"
PIN_PROTOCOLS = (2, 1)
"""PIN/UV auth protocols, most preferred first."""
ALGORITHMS = (ES256.ALGORITHM, EdDSA.ALGORITHM)
MIN_PIN_LENGTH = 4
CLIENT_PIN_READ_ONLY = frozenset({0x01, 0x02})
"""clientPIN's getPINRetries and getKeyAgreement: they change no stored state."""

CREDENTIAL_NONCE_LENGTH = 12
# alg code, flags, private key, CredRandomWithUV, CredRandomWithoutUV
CREDENTIAL_PLAIN_LENGTH = 1 + 1 + 32 + 32 + 32
CREDENTIAL_ID_LENGTH = 1 + CREDENTIAL_NONCE_LENGTH + CREDENTIAL_PLAIN_LENGTH + 16
"""Version byte, AES-GCM nonce, the sealed key material and its 16-byte tag."""
