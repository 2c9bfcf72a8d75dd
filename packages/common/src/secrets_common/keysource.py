"""The key-source boundary: something that turns salts into 32-byte secrets
while a person is present.

The vault talks only to this interface. The implementation over python-fido2's
hmac-secret extension lives in :mod:`secrets_common.fido`; tests drive that
real implementation against :class:`secrets_common.SoftAuthenticator`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import attrs

__all__ = ["SECRET_SIZE", "Credential", "Derivation", "EnrolmentCheck", "KeySource"]

SECRET_SIZE = 32
"""Bytes in a salt and in an hmac-secret output."""


@attrs.frozen
class Credential:
    """An hmac-secret credential on one security key, as a vault records it.

    ``uv`` says whether user verification (a PIN) was performed at enrolment.
    CTAP 2.1 keys keep separate secrets for assertions with and without UV, so
    every later derivation must ask for the same mode, whatever PIN the key
    has since gained or lost.
    """

    rp_id: str
    credential_id: bytes = attrs.field(repr=lambda value: value.hex()[:16] + "…")
    uv: bool = False


@attrs.frozen
class Derivation:
    """The answer to one touch: which credential answered, and its outputs."""

    credential: Credential
    outputs: tuple[bytes, ...] = attrs.field(repr=False)
    """One 32-byte output per salt asked for, in the same order."""
    authenticator: str
    """A human name of the key that answered (for messages, never for logic)."""


class KeySource(Protocol):
    """Every security key the user has connected, seen as one source of secrets.

    Implementations choose among several connected keys themselves (the one
    holding a wanted credential, or by asking the user) and raise only the
    :class:`~secrets_common.errors.AuthenticatorError` family.
    """

    def enroll(
        self,
        *,
        rp_id: str,
        user_name: str,
        salts: Sequence[bytes],
        reason: str,
        exclude: Sequence[Credential] = (),
    ) -> Derivation:
        """Create an hmac-secret credential and derive ``salts`` (1 or 2) with it.

        Uses hmac-secret-mc where the key offers it, so that enrolment costs a
        single touch; otherwise a second touch derives the outputs. A key
        holding any credential in ``exclude`` is not chosen. The credential
        uses user verification exactly when the key already has a PIN (or
        built-in UV) set up; the returned ``Credential.uv`` records the mode.
        """
        ...

    def derive(
        self, credentials: Sequence[Credential], salts: Sequence[bytes], *, reason: str
    ) -> Derivation:
        """Derive one or two salts with whichever of ``credentials`` is connected.

        One touch, whatever the number of salts. ``reason`` is shown in the
        touch prompt ("read 'pypi' / '__token__'"). Raises
        :class:`~secrets_common.errors.WrongKeyError` when no connected key
        holds any of ``credentials``.
        """
        ...


@runtime_checkable
class EnrolmentCheck(Protocol):
    """A key source that can tell, without a touch, whether enrolling would fail.

    Optional: a vault asks it before spending any touch on an enrolment (the
    release of the entry keys comes first), so that a command bound to fail
    costs none. Sources that cannot look without a touch leave it out.
    """

    def check_enrollable(self, exclude: Sequence[Credential], *, reason: str) -> None:
        """Raise what :meth:`KeySource.enroll` would raise for want of a new key.

        :class:`~secrets_common.errors.WrongKeyError` when every connected key
        holds one of ``exclude``; :class:`~secrets_common.errors.NoDeviceError`
        or :class:`~secrets_common.errors.UnsupportedDeviceError` when there is
        no key that could be enrolled. Never waits for a touch or a PIN.
        """
        ...
