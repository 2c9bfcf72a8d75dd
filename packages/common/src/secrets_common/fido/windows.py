"""Windows without administrator rights: keys through the WebAuthn API.

Since Windows 10 1903 only administrators may talk to FIDO keys directly;
everyone else goes through ``webauthn.dll``, which shows its own dialogs for
choosing a key, touching it and typing the PIN. This key source hands the same
hmac-secret requests to python-fido2's ``WindowsClient`` and checks the
answers the same way (including the UV mode). It cannot be tested here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from secrets_common.errors import AuthenticatorError
from secrets_common.keysource import Credential, Derivation, KeySource

if TYPE_CHECKING:
    from fido2.client import WebAuthnClient

_T = TypeVar("_T")

WINDOWS_NAME = "security key (Windows Hello)"


def windows_key_source(*, timeout: float) -> KeySource | None:
    """The Windows WebAuthn key source where it is needed, else ``None``."""
    if sys.platform == "win32":
        import ctypes

        from fido2.client.windows import WindowsClient

        if WindowsClient.is_available() and not ctypes.windll.shell32.IsUserAnAdmin():
            return WindowsKeySource(timeout=timeout)
    return None


@dataclass(frozen=True, slots=True)
class WindowsKeySource:
    """:class:`~secrets_common.keysource.KeySource` over ``webauthn.dll``."""

    timeout: float
    random_bytes: Callable[[int], bytes] = os.urandom

    def _client(self, rp_id: str) -> WebAuthnClient:
        from fido2.client.windows import WindowsClient

        from secrets_common.fido.requests import client_data_collector

        return WindowsClient(client_data_collector(rp_id), allow_hmac_secret=True)

    def enroll(
        self,
        *,
        rp_id: str,
        user_name: str,
        salts: Sequence[bytes],
        reason: str,
        exclude: Sequence[Credential] = (),
    ) -> Derivation:
        from secrets_common.fido.requests import (
            CHALLENGE_SIZE,
            USER_ID_SIZE,
            check_salts,
            creation_options,
            outputs_derivation,
            registered_credential,
        )

        check_salts(salts)
        options = creation_options(
            rp_id=rp_id,
            user_name=user_name,
            user_id=self.random_bytes(USER_ID_SIZE),
            challenge=self.random_bytes(CHALLENGE_SIZE),
            salts=salts,
            exclude=exclude,
            verify_user=False,
            timeout_ms=round(self.timeout * 1000),
        )
        response = self._guard(reason, lambda: self._client(rp_id).make_credential(options))
        credential, output = registered_credential(response, rp_id, WINDOWS_NAME)
        if output is not None:
            return outputs_derivation(output, credential, salts, WINDOWS_NAME)
        return self.derive([credential], salts, reason=reason)

    def derive(
        self, credentials: Sequence[Credential], salts: Sequence[bytes], *, reason: str
    ) -> Derivation:
        from secrets_common.fido.requests import (
            CHALLENGE_SIZE,
            check_salts,
            derivation,
            request_options,
        )

        check_salts(salts)
        if not credentials:
            raise ValueError("credentials: expected at least one credential")
        # Windows picks the key itself and one request has one UV mode, so ask
        # once per (RP ID, UV mode) group; usually there is a single group.
        groups: dict[tuple[str, bool], list[Credential]] = {}
        for credential in credentials:
            groups.setdefault((credential.rp_id, credential.uv), []).append(credential)
        last: AuthenticatorError | None = None
        for (rp_id, _uv), group in groups.items():
            options = request_options(
                group,
                salts,
                challenge=self.random_bytes(CHALLENGE_SIZE),
                timeout_ms=round(self.timeout * 1000),
            )
            client = self._client(rp_id)
            try:
                selection = self._guard(reason, partial(client.get_assertion, options))
            except AuthenticatorError as error:
                last = error
                continue
            return derivation(selection, group, salts, WINDOWS_NAME)
        if last is None:
            raise AuthenticatorError("no credential to ask for")
        raise last

    def _guard(self, reason: str, call: Callable[[], _T]) -> _T:
        from fido2.client import ClientError

        from secrets_common.fido.translate import Context, translate

        try:
            return call()
        except (ClientError, OSError) as error:
            raise translate(error, Context(WINDOWS_NAME, reason, timeout=self.timeout)) from error


_check_windows: type[KeySource] = WindowsKeySource
