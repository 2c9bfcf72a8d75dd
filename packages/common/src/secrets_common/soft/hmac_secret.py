"""The hmac-secret extension (CTAP 2.1, 12.5), authenticator side.

Salts arrive encrypted under a shared secret of the PIN/UV auth protocol the
platform chose, authenticated with saltAuth; the outputs go back encrypted
under the same secret. The same input shape serves hmac-secret-mc, which
returns outputs from makeCredential.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fido2.ctap import CtapError

from secrets_common.soft import params
from secrets_common.soft.credentials import CredentialKey
from secrets_common.soft.pin import PinProtocol, protocol
from secrets_common.soft.session import Session

SALT_LENGTH = 32

_KEY_AGREEMENT = 0x01
_SALT_ENC = 0x02
_SALT_AUTH = 0x03
_PROTOCOL = 0x04


@dataclass(frozen=True, slots=True)
class SaltRequest:
    """One or two decrypted salts and the secret to encrypt the outputs with."""

    protocol: PinProtocol
    shared_secret: bytes = field(repr=False)
    salts: tuple[bytes, ...] = field(repr=False)

    def outputs(self, credential: CredentialKey, *, uv: bool) -> bytes:
        """Encrypted HMAC outputs, from the CredRandom of this UV mode."""
        plain = credential.hmac_outputs(list(self.salts), uv=uv)
        return self.protocol.encrypt(self.shared_secret, plain)


def parse(session: Session, value: object) -> SaltRequest:
    """Check and decrypt an hmac-secret input map."""
    request = params.request_map(value)
    peer = params.required(request, _KEY_AGREEMENT, dict)
    salt_enc = params.required(request, _SALT_ENC, bytes)
    salt_auth = params.required(request, _SALT_AUTH, bytes)
    version = params.optional(request, _PROTOCOL, int)
    # CTAP 2.0 platforms omit the protocol; they only know protocol 1.
    proto = protocol(1 if version is None else version)
    shared = proto.shared_secret(session.key_agreement, peer)
    if not proto.verify(shared, salt_enc, salt_auth):
        raise CtapError(CtapError.ERR.PIN_AUTH_INVALID)
    plain = proto.decrypt(shared, salt_enc)
    if len(plain) not in (SALT_LENGTH, 2 * SALT_LENGTH):
        raise CtapError(CtapError.ERR.INVALID_LENGTH)
    salts = tuple(plain[i : i + SALT_LENGTH] for i in range(0, len(plain), SALT_LENGTH))
    return SaltRequest(protocol=proto, shared_secret=shared, salts=salts)
