"""The EFF large wordlist, shipped as package data (CC BY 3.0 US, see wordlists/)."""

from __future__ import annotations

import functools
from importlib import resources

WORDLIST_FILE = "eff_large_wordlist.txt"
WORDLIST_SIZE = 7776


@functools.cache
def eff_large_wordlist() -> tuple[str, ...]:
    """The 7,776 words, in the list's order (its dice-roll order)."""
    text = (
        resources.files("pinpal.learning").joinpath("wordlists", WORDLIST_FILE).read_text("utf-8")
    )
    words = tuple(line.split("\t", 1)[1].strip() for line in text.splitlines() if line.strip())
    if len(words) != WORDLIST_SIZE or len(set(words)) != WORDLIST_SIZE:
        # A damaged installation must not silently weaken every new passphrase.
        raise RuntimeError(f"the shipped {WORDLIST_FILE} is damaged: {len(words)} words")
    return words
