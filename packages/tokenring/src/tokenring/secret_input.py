"""Reading a secret for ``tokenring set``: a no-echo prompt, or standard input."""

from __future__ import annotations

import getpass
import hmac
import sys
from collections.abc import Callable
from typing import TextIO

from secrets_common.errors import UsageError

Prompt = Callable[[str], str]


def read_secret(
    description: str,
    *,
    stdin: TextIO | None = None,
    prompt: Prompt = getpass.getpass,
) -> str:
    """On a terminal: ask twice without echo. Otherwise: all of stdin, less one newline."""
    source = sys.stdin if stdin is None else stdin
    if source.isatty():
        first = prompt(f"Secret for {description}: ")
        second = prompt("Again, to confirm: ")
        if not hmac.compare_digest(first.encode(), second.encode()):
            raise UsageError("the two entries differ; nothing was stored")
        return first
    text = source.read()
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    return text
