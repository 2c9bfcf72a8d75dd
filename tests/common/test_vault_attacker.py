"""An attacker who runs as the user: the vault file, the everyday key, one touch at a time.

The attacker below knows the format (docs/vault-format.md) but uses no toolkit
code: python-fido2's client (the path a USB key takes, here over the
SoftAuthenticator), ``cryptography`` and the bytes of the file. It may ask for
any salt it finds in (or derives from) the file, two per assertion, with a
prompt of its choosing. The claim under test: each assertion releases at most
two entries, plus the names index.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import struct
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fido2.client import DefaultClientDataCollector, Fido2Client, UserInteraction
from fido2.ctap2.extensions import HmacSecretExtension
from fido2.webauthn import (
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRequestOptions,
    PublicKeyCredentialType,
    UserVerificationRequirement,
)

from secrets_common.soft import SoftAuthenticator
from secrets_common.vault import NewAuthenticatorSlot, NewRecoverySlot, Opener, Vault
from tests.common.vault_strategies import CHEAP_SCRYPT, soft_source

SECRETS = {f"service-{i}": f"password-{i}".encode() for i in range(7)}


def _hkdf(material: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt, info).derive(material)


class Attacker:
    """Everything the file tells, and one assertion at a time on the user's key."""

    def __init__(self, vault: Path, key_state: Path) -> None:
        line, self.body = vault.read_bytes().split(b"\n", 1)
        self.header = json.loads(line)
        self.vault_id = bytes.fromhex(self.header["vault_id"])
        self.device = SoftAuthenticator(key_state)
        self.assertions = 0

    def salts_in_the_file(self, names: list[bytes]) -> list[bytes]:
        """Every salt the file holds or implies (index, escrow, one per known name)."""
        epoch = bytes.fromhex(self.header["epoch"])
        escrow = bytes.fromhex(self.header["escrow_public_key"])
        found = [
            hashlib.sha256(
                b"secrets-vault v2 index salt\x00" + self.vault_id + epoch + escrow
            ).digest(),
            bytes.fromhex(self.header["escrow_salt"]),
        ]
        found += [
            hashlib.sha256(b"secrets-vault v2 entry salt\x00" + self.vault_id + name).digest()
            for name in names
        ]
        return found

    def assertion(self, slot: dict[str, object], salts: list[bytes]) -> list[bytes]:
        """One touch, asked the way any program may ask it, with a harmless prompt."""
        self.assertions += 1
        rp_id = str(slot["rp_id"])
        client = Fido2Client(
            self.device,
            client_data_collector=DefaultClientDataCollector(f"https://{rp_id}"),
            user_interaction=UserInteraction(),
            extensions=[HmacSecretExtension(allow_hmac_secret=True)],  # type: ignore[no-untyped-call]
        )
        inputs = {"salt1": salts[0]} | ({"salt2": salts[1]} if len(salts) == 2 else {})
        options = PublicKeyCredentialRequestOptions(
            challenge=os.urandom(32),
            rp_id=rp_id,
            allow_credentials=[
                PublicKeyCredentialDescriptor(
                    type=PublicKeyCredentialType.PUBLIC_KEY,
                    id=bytes.fromhex(str(slot["credential_id"])),
                )
            ],
            user_verification=UserVerificationRequirement.DISCOURAGED,
            extensions={"hmacGetSecret": inputs},
        )
        result = client.get_assertion(options).get_response(0).client_extension_results
        output = result.hmac_get_secret
        return [output.output1] + ([output.output2] if len(salts) == 2 else [])

    def index_key(self, slot: dict[str, object], output: bytes) -> bytes | None:
        token = slot.get("index_key")
        if not isinstance(token, str):
            return None
        kek = base64.urlsafe_b64encode(_hkdf(output, self.vault_id, b"secrets-vault v2 index kek"))
        try:
            return Fernet(kek).decrypt(token.encode())
        except InvalidToken:
            return None

    def escrow_private(self, output: bytes) -> bytes | None:
        kek = base64.urlsafe_b64encode(_hkdf(output, self.vault_id, b"secrets-vault v2 escrow kek"))
        for slot in self.header["slots"]:
            token = slot.get("escrow_key")
            if isinstance(token, str):
                try:
                    return Fernet(kek).decrypt(token.encode())
                except InvalidToken:
                    continue
        return None

    def records(self, index_key: bytes) -> dict[bytes, tuple[dict[bytes, bytes], bytes]]:
        """name -> (wraps by slot id, value token), from the decrypted index."""
        plain = Fernet(base64.urlsafe_b64encode(index_key)).decrypt(
            base64.urlsafe_b64encode(self.body)
        )
        _generation, count = struct.unpack_from("<QI", plain, 32)
        offset = 44
        found = {}
        for _ in range(count):
            name_size, token_size, wrap_count = struct.unpack_from("<HIB", plain, offset)
            offset += 7
            name = plain[offset : offset + name_size]
            offset += name_size + 80
            wraps = {}
            for _ in range(wrap_count):
                wraps[plain[offset : offset + 8]] = plain[offset + 8 : offset + 68]
                offset += 68
            found[name] = (wraps, plain[offset : offset + token_size])
            offset += token_size
        return found

    def entries_opened(
        self,
        slot: dict[str, object],
        records: dict[bytes, tuple[dict[bytes, bytes], bytes]],
        outputs: list[bytes],
    ) -> set[bytes]:
        """Every entry any of ``outputs`` opens, trying each output on each entry."""
        slot_id = bytes.fromhex(str(slot["id"]))
        opened = set()
        for name, (wraps, token) in records.items():
            boxed = wraps.get(slot_id)
            if boxed is None:
                continue
            for output in outputs:
                kek = _hkdf(output, self.vault_id, b"secrets-vault v2 entry kek" + slot_id)
                try:
                    key = AESGCM(kek).decrypt(
                        boxed[:12], boxed[12:], self.vault_id + slot_id + name
                    )
                    Fernet(base64.urlsafe_b64encode(key)).decrypt(token)
                except Exception:  # noqa: S112 - a failed guess is the expected case
                    continue
                opened.add(name)
        return opened


def test_each_assertion_releases_at_most_two_entries(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    backup = tmp_path / "backup.json"
    path = tmp_path / "vaults" / "ring.vault"
    vault, code = Vault.create(
        path,
        NewAuthenticatorSlot("everyday", soft_source(key)),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    assert code is not None
    # A backup key (in a drawer: the attacker never reaches it) holds the escrow too.
    vault.enroll(
        NewAuthenticatorSlot("drawer", soft_source(backup), backup=True),
        Opener(recovery_code=code),
        reason="enrol",
    )
    vault.write_many(SECRETS, Opener(key_source=soft_source(key)))

    attacker = Attacker(path, key)
    slot = next(s for s in attacker.header["slots"] if s.get("role") == "everyday")
    # First touch: the index salt with any other salt. It yields the names.
    index_salt, escrow_salt = attacker.salts_in_the_file([])
    outputs = attacker.assertion(slot, [index_salt, escrow_salt])
    index_key = attacker.index_key(slot, outputs[0])
    assert index_key is not None, "the index is what a touch may release"
    assert attacker.escrow_private(outputs[1]) is None, "an everyday key holds no escrow"
    assert attacker.escrow_private(outputs[0]) is None
    records = attacker.records(index_key)
    assert sorted(records) == sorted(name.encode() for name in SECRETS)
    assert attacker.entries_opened(slot, records, outputs) == set()

    # Then every pair of salts the file holds or implies, one assertion each.
    salts = attacker.salts_in_the_file(sorted(records))
    stolen: set[bytes] = set()
    for pair in itertools.combinations(salts, 2):
        outputs = attacker.assertion(slot, list(pair))
        opened = attacker.entries_opened(slot, records, outputs)
        assert len(opened) <= 2, f"one assertion opened {len(opened)} entries"
        assert all(attacker.escrow_private(output) is None for output in outputs)
        stolen |= opened
    # Sanity: the attack works entry by entry, so the check above has teeth.
    assert stolen == set(records)
    assert attacker.assertions == 1 + len(list(itertools.combinations(salts, 2)))


def test_a_changed_escrow_key_is_not_sealed_to(tmp_path: Path) -> None:
    """Holding the index key is not enough to re-point later writes at another escrow key."""
    key = tmp_path / "key.json"
    path = tmp_path / "vaults" / "ring.vault"
    vault, _ = Vault.create(path, NewAuthenticatorSlot("everyday", soft_source(key)))
    vault.write("a", b"1", Opener(key_source=soft_source(key)))
    line, body = path.read_bytes().split(b"\n", 1)
    header = json.loads(line)
    header["escrow_public_key"] = os.urandom(32).hex()  # the attacker's own
    tampered = json.dumps(header, separators=(",", ":")).encode() + b"\n" + body
    path.write_bytes(tampered)
    victim = Vault.open(path)
    try:
        victim.write("b", b"2", Opener(key_source=soft_source(key)), reason="store b")
    except Exception as error:
        refused = str(error)
    else:
        refused = ""
    assert "did not open" in refused or "tampered" in refused
    assert path.read_bytes() == tampered, "nothing was written, so nothing was sealed"
