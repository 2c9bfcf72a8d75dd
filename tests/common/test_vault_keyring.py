"""Choosing the OS keyring for keyring slots, in fresh processes (keyring caches its choice)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
from secrets_common.errors import SecretsError
from secrets_common.vault import system_keyring
try:
    backend = system_keyring()
except SecretsError as error:
    print("error:", error)
else:
    print("backend:", type(backend).__module__, type(backend).__name__)
"""


def probe(**environment: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env={**os.environ, **environment},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_no_usable_keyring_is_one_clear_error() -> None:
    answer = probe(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    assert answer.startswith("error: no usable OS keyring: install and start a Secret Service")
    assert "\n" not in answer


def test_an_explicit_backend_is_used() -> None:
    answer = probe(PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    assert answer == "backend: keyrings.alt.file PlaintextKeyring"


def test_tokenring_backend_is_passed_over() -> None:
    # TokenRing's backend outranks the OS backends when installed; a vault's
    # keyring slot must not live inside another vault.
    answer = probe(PYTHON_KEYRING_BACKEND="tokenring.backend.TokenRingKeyring")
    assert answer.startswith("backend: ")
    assert "tokenring" not in answer
