"""secrets-common: the shared core of TokenRing and PINPal.

Importing this package does nothing but define names; heavy submodules load
on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would slow the fast paths that import this package
if TYPE_CHECKING:
    from typing import Any

    from secrets_common.soft import SoftAuthenticator

__all__ = ["SoftAuthenticator", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "SoftAuthenticator":
        from secrets_common.soft import SoftAuthenticator

        return SoftAuthenticator
    if name == "__version__":
        from importlib.metadata import version

        return version("secrets-common")
    raise AttributeError(f"module 'secrets_common' has no attribute {name!r}")
