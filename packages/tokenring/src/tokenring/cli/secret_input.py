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
    if source is None:  # started with stdin closed (`<&-`)
        raise UsageError("standard input is closed: pipe the secret in, or run on a terminal")
    if source.isatty():
        try:
            first = prompt(f"Secret for {description}: ")
            second = prompt("Again, to confirm: ")
        except EOFError:
            raise UsageError("no secret was typed; nothing was stored") from None
        if not hmac.compare_digest(_utf8(first), _utf8(second)):
            raise UsageError("the two entries differ; nothing was stored")
        return _not_empty(first)
    try:
        text = source.read()
    except UnicodeDecodeError:
        raise UsageError(
            "the secret on standard input is not UTF-8 text; nothing was stored"
        ) from None
    except OSError as error:
        raise UsageError(f"cannot read standard input: {error.strerror or error}") from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    _utf8(text)
    return _not_empty(text)


def _utf8(text: str) -> bytes:
    # Undecodable input arrives as lone surrogates (surrogateescape): refuse it
    # here, before a touch is spent on storing it.
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError("the secret is not UTF-8 text; nothing was stored") from None


def _not_empty(text: str) -> str:
    # An empty secret is almost always a mistake (`< /dev/null`, Enter twice);
    # the keyring API can still store one on purpose.
    if not text:
        raise UsageError("the secret is empty; nothing was stored")
    return text


def read_recovery_code(
    *,
    stdin: TextIO | None = None,
    prompt: Prompt = getpass.getpass,
) -> str:
    """The recovery code: a no-echo prompt on a terminal, else one line of standard input.

    Case, spaces and dashes are forgiven later (:func:`secrets_common.vault.recovery.parse`).
    """
    source = sys.stdin if stdin is None else stdin
    if source is None:
        raise UsageError(
            "standard input is closed: pipe the recovery code in, or run on a terminal"
        )
    if source.isatty():
        try:
            text = prompt("Recovery code (opens the whole vault): ")
        except EOFError:
            raise UsageError("no recovery code was typed") from None
    else:
        try:
            text = source.readline()
        except (UnicodeDecodeError, OSError):
            raise UsageError("cannot read a recovery code from standard input") from None
    text = text.strip()
    if not text:
        raise UsageError("no recovery code was given")
    return text
