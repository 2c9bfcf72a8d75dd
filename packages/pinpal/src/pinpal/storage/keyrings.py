"""Which keyring backends PINPal uses: the one keyring chooses, and for import the others.

A keyring that cannot serve is explained in this system's terms: which
keyrings work here (never `keyring --list-backends`, which lists nothing
useful then), and a plaintext keyring file is refused: the vault key would sit
unencrypted next to the vault. ``PINPAL_ALLOW_PLAINTEXT_KEYRING=1`` opts in
(throwaway machines, tests).

Where TokenRing is installed it outranks the OS keychain, so it holds
PINPal's vault key. The original PINPal kept its records in the OS keychain,
which keyring no longer chooses then: `import-legacy` searches every usable
backend, the chosen one first, unless PYTHON_KEYRING_BACKEND pins one.
"""

from __future__ import annotations

import os
import sys

from secrets_common.vault import KeyringBackend, KeyringUnavailableError, system_keyring

BACKEND_VARIABLE = "PYTHON_KEYRING_BACKEND"
PLAINTEXT_VARIABLE = "PINPAL_ALLOW_PLAINTEXT_KEYRING"


def what_works(platform: str | None = None) -> str:
    """The keyrings that can hold PINPal's vault key on this kind of system."""
    from secrets_common.cli.invocation import command

    tokenring = (
        f"or TokenRing on a security key (install tokenring, then `{command('tokenring', 'init')}`)"
    )
    name = sys.platform if platform is None else platform
    if name == "darwin":
        return f"the login Keychain of a logged-in macOS session, {tokenring}"
    if name == "win32":
        return f"Windows Credential Manager in a logged-in session, {tokenring}"
    return (
        "a running Secret Service (gnome-keyring or KWallet) on this session's D-Bus, "
        f"unlocked, {tokenring}"
    )


def no_keyring() -> str:
    return f"no keyring can hold PINPal's vault key here; what works: {what_works()}"


def locked_keyring(platform: str | None = None) -> str:
    name = sys.platform if platform is None else platform
    if name == "darwin":
        how = "unlock the keychain in Keychain Access (or `security unlock-keychain`)"
    else:
        how = (
            "unlock it when asked, or in Passwords and Keys (seahorse) or KWallet Manager; "
            "logging in to the desktop usually unlocks it"
        )
    return f"the keyring is locked: {how}, then try again"


def is_plaintext(backend: object) -> bool:
    """A backend that keeps secrets in a file, unencrypted (keyrings.alt's PlaintextKeyring)."""
    return "Plaintext" in type(backend).__name__


def _plaintext_allowed() -> bool:
    return os.environ.get(PLAINTEXT_VARIABLE) == "1"


def _refuse_plaintext(backend: object) -> None:
    cls = type(backend)
    where = getattr(backend, "file_path", None)
    file = f" ({where})" if isinstance(where, str) else ""
    raise KeyringUnavailableError(
        f"the keyring backend {cls.__module__}.{cls.__qualname__} keeps secrets unencrypted "
        f"in a file{file}: PINPal's vault key would sit in plain sight beside the vault. "
        f"Use {what_works()}; on a throwaway machine, {PLAINTEXT_VARIABLE}=1 allows it"
    )


def _ranked(backends: list[KeyringBackend]) -> list[KeyringBackend]:
    return sorted(backends, key=_priority, reverse=True)


def configured_keyring() -> KeyringBackend:
    """The keyring's chosen backend, if it protects the key (a misspelt one is a usage error)."""
    try:
        chosen = system_keyring()
    except KeyringUnavailableError:
        raise KeyringUnavailableError(no_keyring()) from None
    if _plaintext_allowed():
        return chosen
    if is_plaintext(chosen):
        _refuse_plaintext(chosen)
    import keyring.backends.chainer

    if isinstance(chosen, keyring.backends.chainer.ChainerBackend):
        # The chainer writes to the first backend that takes a secret: one
        # that refuses (a locked keyring) would let a plaintext file take it.
        chained = list(chosen.backends)
        kept = [backend for backend in chained if not is_plaintext(backend)]
        if len(kept) < len(chained):
            if not kept:
                _refuse_plaintext(chained[0])
            return _ranked(kept)[0]
    return chosen


def _priority(backend: object) -> float:
    try:
        return float(getattr(backend, "priority", 0))
    except Exception:
        return 0.0


def searched_keyrings() -> list[KeyringBackend]:
    """The chosen backend, then every other usable one by keyring's priority.

    Only read (the original's records): a plaintext file is searched too.
    """
    chosen = system_keyring()
    if os.environ.get(BACKEND_VARIABLE):
        return [chosen]
    import keyring.backend
    import keyring.backends.chainer
    import keyring.backends.fail

    # The chainer would ask the chosen backend again; the fail backend holds nothing.
    skipped = (type(chosen), keyring.backends.chainer.ChainerBackend, keyring.backends.fail.Keyring)
    others = [b for b in keyring.backend.get_all_keyring() if not isinstance(b, skipped)]
    return [chosen, *sorted(others, key=_priority, reverse=True)]
