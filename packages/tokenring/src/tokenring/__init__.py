"""tokenring: see the package README. Importing it does nothing else.

The public surface: :class:`tokenring.backend.TokenRingKeyring` (the keyring
backend) and :class:`tokenring.service.TokenRing` (the vault and agent behind
it), both also reachable from here, loaded on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would slow the fast path of `tokenring get`
if TYPE_CHECKING:
    from typing import Any

    from tokenring.backend import TokenRingKeyring
    from tokenring.service import TokenRing

__all__ = ["TokenRing", "TokenRingKeyring", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "TokenRingKeyring":
        from tokenring.backend import TokenRingKeyring

        return TokenRingKeyring
    if name == "TokenRing":
        from tokenring.service import TokenRing

        return TokenRing
    if name == "__version__":
        from importlib.metadata import version

        return version("tokenring")
    raise AttributeError(f"module 'tokenring' has no attribute {name!r}")
