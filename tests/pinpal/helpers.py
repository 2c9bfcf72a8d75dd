"""Shared fakes for PINPal's tests: a clock, seeded randomness, a cheap hash.

Also the state a command-line test starts from, made in-process (much
faster than a terminal session) through the same keyring file and vault the
`pinpal` process then opens.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Mapping
from pathlib import Path

import attrs
import pexpect
from keyrings.alt.file import PlaintextKeyring

from pinpal.learning import engine
from pinpal.learning.entropy import Entropy
from pinpal.learning.kdf import FLOOR, SALT_LENGTH, ScryptParams, Verifier
from pinpal.learning.secretgen import NewSecret, existing_secret, generate_digits, generate_words
from pinpal.service import Pinpal
from pinpal.storage.vaultstore import VAULT_FILE, VaultStore
from tests.cli import script

# Cheap enough for hundreds of hypothesis examples; explicit, never patched in.
TINY_SCRYPT = ScryptParams(n=16, r=1, p=1)
# What a `pinpal` process is told to hash with: the cheapest cost it accepts
# (a cheaper scrypt.json is recalibrated), so that it never calibrates.
FLOOR_SCRYPT_JSON = json.dumps(FLOOR.to_json()) + "\n"
START = 1_700_000_000.0


@attrs.define
class FakeClock:
    now: float = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def seeded_entropy(seed: int) -> Entropy:
    generator = random.Random(seed)  # noqa: S311 -- reproducible tests, never secrets
    return Entropy(randbelow=generator.randrange, token_bytes=generator.randbytes)


def tiny_verifier(secret: NewSecret, salt: bytes = b"s" * SALT_LENGTH) -> Verifier:
    return Verifier.make(secret.text.encode("utf-8"), salt, TINY_SCRYPT)


def keyring_file(env: Mapping[str, str]) -> Path:
    """Where keyrings.alt's PlaintextKeyring keeps its file under ``env``."""
    return Path(env["XDG_DATA_HOME"]) / "python_keyring" / "keyring_pass.cfg"


def plain_keyring(env: Mapping[str, str]) -> PlaintextKeyring:
    """The keyring backend that `pinpal` uses with ``env``, in this process."""
    keyring = PlaintextKeyring()
    keyring.file_path = str(keyring_file(env))
    return keyring


def cli_service(env: Mapping[str, str], now: float = START) -> Pinpal:
    """A service over the vault and keyring file that `pinpal` uses with ``env``."""
    keyring = plain_keyring(env)
    state = Path(env["SECRETS_HOME"]) / "pinpal"
    store = VaultStore(state / VAULT_FILE, lambda: keyring)
    return Pinpal(store, state, FakeClock(now), lambda: TINY_SCRYPT, seeded_entropy(7))


def seed(env: Mapping[str, str], *labels: str, digits: int = 0) -> dict[str, str]:
    """Store a secret under each label, due at START; returns label -> secret.

    Two words, or a PIN of ``digits`` digits.
    """
    service = cli_service(env)
    made = {}
    for label in labels:
        if digits:
            secret = generate_digits(digits, service.entropy)
        else:
            secret = generate_words(2, service.entropy)
        service.new(label, secret)
        made[label] = secret.text
    return made


def spawn(env: Mapping[str, str], *args: str) -> pexpect.spawn:
    """`pinpal` in a pseudo-terminal (prompts without echo, Ctrl-C), its output recorded."""
    child = pexpect.spawn(script("pinpal"), list(args), env=dict(env), encoding="utf-8", timeout=30)
    child.logfile_read = io.StringIO()
    return child


def finish(child: pexpect.spawn, status: int = 0) -> str:
    """Wait for ``child`` (from :func:`spawn`) to exit with ``status``; returns all it printed."""
    child.expect(pexpect.EOF)
    child.close()
    printed = child.logfile_read.getvalue()
    assert child.exitstatus == status, printed
    return str(printed)


def start(env: Mapping[str, str], *args: str) -> tuple[str, str]:
    """Run `new`/`rotate` in a terminal and type the shown secret back once.

    Returns the secret and everything the command printed.
    """
    child = spawn(env, *args)
    child.expect(r"your new secret: (\S+(?: \S+)*)\r\n")
    secret = str(child.match.group(1))
    child.expect(r"> ")
    child.sendline(secret)
    child.expect_exact("right.")
    return secret, finish(child)


def one_answer_from_forgetting(env: Mapping[str, str], secrets: Mapping[str, str]) -> float:
    """Store each label's secret and practise it until its next right answer forgets a token.

    Hashed at the floor cost a `pinpal` process uses, so that the answer
    forgets and re-hashes nothing else. Returns a time at which every label
    is due and that answer, given then, forgets.
    """
    keyring = plain_keyring(env)
    state = Path(env["SECRETS_HOME"]) / "pinpal"
    clock = FakeClock()
    service = Pinpal(VaultStore(state / VAULT_FILE, lambda: keyring), state, clock, lambda: FLOOR)
    for label, text in secrets.items():
        service.new(label, existing_secret(text))
    for _ in range(100):
        when = max(service.entry(label).current.due_at() for label in secrets)
        pending = [
            label
            for label, text in secrets.items()
            if not engine.review(service.entry(label).current, text, when).newly_forgotten
        ]
        if not pending:
            return when
        for label in pending:
            clock.now = max(clock.now + 60, service.entry(label).current.due_at())
            review, _ = service.answer(label, "current", secrets[label])
            assert review.correct
    raise AssertionError("no token was forgotten in 100 right answers")
