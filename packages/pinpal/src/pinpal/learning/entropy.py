"""Where randomness comes from: the ``secrets`` module unless a test injects its own."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import attrs


@attrs.frozen
class Entropy:
    """Uniform integers below a bound and random bytes (salts)."""

    randbelow: Callable[[int], int] = secrets.randbelow
    token_bytes: Callable[[int], bytes] = secrets.token_bytes


SYSTEM_ENTROPY = Entropy()
