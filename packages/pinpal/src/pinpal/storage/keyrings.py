"""Which keyring backends PINPal uses: the one keyring chooses, and for import the others.

Where TokenRing is installed it outranks the OS keychain, so it holds
PINPal's vault key. The original PINPal kept its records in the OS keychain,
which keyring no longer chooses then: `import-legacy` searches every usable
backend, the chosen one first, unless PYTHON_KEYRING_BACKEND pins one.
"""

from __future__ import annotations

import os

from secrets_common.vault import KeyringBackend, system_keyring

BACKEND_VARIABLE = "PYTHON_KEYRING_BACKEND"


def configured_keyring() -> KeyringBackend:
    """The keyring's chosen backend (a misspelt one is a usage error)."""
    return system_keyring()


def _priority(backend: object) -> float:
    try:
        return float(getattr(backend, "priority", 0))
    except Exception:
        return 0.0


def searched_keyrings() -> list[KeyringBackend]:
    """The chosen backend, then every other usable one by keyring's priority."""
    chosen = configured_keyring()
    if os.environ.get(BACKEND_VARIABLE):
        return [chosen]
    import keyring.backend
    import keyring.backends.chainer
    import keyring.backends.fail

    # The chainer would ask the chosen backend again; the fail backend holds nothing.
    skipped = (type(chosen), keyring.backends.chainer.ChainerBackend, keyring.backends.fail.Keyring)
    others = [b for b in keyring.backend.get_all_keyring() if not isinstance(b, skipped)]
    return [chosen, *sorted(others, key=_priority, reverse=True)]
