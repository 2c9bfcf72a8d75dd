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


def test_tokenring_holds_the_slot_where_it_is_the_keyring() -> None:
    # Where TokenRing is installed, a keyring slot lives behind a touch of the key.
    answer = probe(PYTHON_KEYRING_BACKEND="tokenring.backend.TokenRingKeyring")
    assert answer == "backend: tokenring.backend TokenRingKeyring"


def test_a_misspelt_backend_is_a_usage_error() -> None:
    answer = probe(PYTHON_KEYRING_BACKEND="no_such_module.Backend")
    assert answer.startswith("error: PYTHON_KEYRING_BACKEND='no_such_module.Backend' cannot be")
