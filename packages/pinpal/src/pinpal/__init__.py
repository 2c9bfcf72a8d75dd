"""pinpal: see the package README. Importing it does nothing else.

The public surface: :class:`pinpal.service.Pinpal`, PINPal's operations over
a store, a clock, randomness and a hash cost, also reachable from here and
loaded on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would slow the fast path of `pinpal check`
if TYPE_CHECKING:
    from typing import Any

    from pinpal.service import Pinpal

__all__ = ["Pinpal", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Pinpal":
        from pinpal.service import Pinpal

        return Pinpal
    if name == "__version__":
        from importlib.metadata import version

        return version("pinpal")
    raise AttributeError(f"module 'pinpal' has no attribute {name!r}")
