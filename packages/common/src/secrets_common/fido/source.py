"""The key source over python-fido2: hmac-secret on whichever key is connected.

Each operation opens the connected keys, picks one without asking anyone to
touch anything (the key holding a wanted credential, or one not yet enrolled,
asking the user only when several would do), then runs one python-fido2
client request on it, with prompts, a presence timeout and error translation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from fido2.client import ClientError, Fido2Client, UserInteraction
from fido2.ctap import CtapError
from fido2.ctap2.base import Ctap2, Info
from fido2.ctap2.extensions import HmacSecretExtension
from fido2.ctap2.pin import ClientPin
from fido2.hid import ConnectionFailure

from secrets_common.errors import PinError, UnsupportedDeviceError, WrongKeyError
from secrets_common.fido.devices import Authenticator, Discovery, connected
from secrets_common.fido.interaction import Interaction
from secrets_common.fido.probe import held_credential, supports_hmac_secret
from secrets_common.fido.requests import (
    CHALLENGE_SIZE,
    USER_ID_SIZE,
    check_salts,
    client_data_collector,
    creation_options,
    derivation,
    outputs_derivation,
    registered_credential,
    request_options,
)
from secrets_common.fido.selection import DEFAULT_TIMEOUT
from secrets_common.fido.translate import Context, translate
from secrets_common.keysource import Credential, Derivation, EnrolmentCheck, KeySource

_T = TypeVar("_T")

_FIDO_ERRORS = (ClientError, CtapError, OSError, ConnectionFailure)


@dataclass(frozen=True, slots=True)
class FidoKeySource:
    """:class:`~secrets_common.keysource.KeySource` over the keys ``discover`` finds."""

    discover: Discovery
    interaction: Interaction
    timeout: float = DEFAULT_TIMEOUT
    random_bytes: Callable[[int], bytes] = os.urandom

    def enroll(
        self,
        *,
        rp_id: str,
        user_name: str,
        salts: Sequence[bytes],
        reason: str,
        exclude: Sequence[Credential] = (),
    ) -> Derivation:
        check_salts(salts)
        with connected(self.discover) as authenticators:
            chosen, info = self._enrolment_key(authenticators, exclude, reason)
            operation = _Operation(self, chosen, reason, shown=_shown(chosen, authenticators))
            options = creation_options(
                rp_id=rp_id,
                user_name=user_name,
                user_id=self.random_bytes(USER_ID_SIZE),
                challenge=self.random_bytes(CHALLENGE_SIZE),
                salts=salts,
                exclude=exclude,
                verify_user=_user_verification_configured(info),
            )
            response = operation.run(
                lambda event: operation.client(rp_id).make_credential(options, event=event)
            )
            credential, output = registered_credential(response, rp_id, chosen.label)
            if output is not None:
                return outputs_derivation(output, credential, salts, chosen.label)
            # Without hmac-secret-mc the outputs need an assertion: a second touch.
            return self._assert(operation, credential, salts)

    def derive(
        self, credentials: Sequence[Credential], salts: Sequence[bytes], *, reason: str
    ) -> Derivation:
        check_salts(salts)
        if not credentials:
            raise ValueError("credentials: expected at least one credential")
        with connected(self.discover) as authenticators:
            chosen, credential = self._holder(authenticators, credentials, reason)
            operation = _Operation(self, chosen, reason, shown=_shown(chosen, authenticators))
            return self._assert(operation, credential, salts)

    def _assert(
        self, operation: _Operation, credential: Credential, salts: Sequence[bytes]
    ) -> Derivation:
        options = request_options([credential], salts, challenge=self.random_bytes(CHALLENGE_SIZE))
        client = operation.client
        label = operation.authenticator.label
        return operation.run(
            lambda event: derivation(
                client(credential.rp_id).get_assertion(options, event=event),
                [credential],
                salts,
                label,
            )
        )

    def check_enrollable(self, exclude: Sequence[Credential], *, reason: str) -> None:
        """Whether a connected key could be enrolled: asked silently, no touch."""
        with connected(self.discover) as authenticators:
            self._enrolment_candidates(authenticators, exclude, reason)

    def _enrolment_key(
        self,
        authenticators: Sequence[Authenticator],
        exclude: Sequence[Credential],
        reason: str,
    ) -> tuple[Authenticator, Info]:
        candidates = self._enrolment_candidates(authenticators, exclude, reason)
        if len(candidates) == 1:
            return candidates[0]
        index = self.interaction.choose(
            f"{len(candidates)} security keys are connected; which one to {reason}?",
            [candidate.label for candidate, _info in candidates],
        )
        return candidates[index]

    def _enrolment_candidates(
        self,
        authenticators: Sequence[Authenticator],
        exclude: Sequence[Credential],
        reason: str,
    ) -> list[tuple[Authenticator, Info]]:
        """The keys holding none of ``exclude``; an error when there is none."""
        candidates: list[tuple[Authenticator, Info]] = []
        enrolled: list[Authenticator] = []
        for authenticator in authenticators:
            ctap = _ctap2(authenticator, reason)
            if ctap is None or not supports_hmac_secret(ctap):
                continue
            held = _silently(authenticator, reason, partial(held_credential, ctap, exclude))
            if exclude and held is not None:
                enrolled.append(authenticator)
                continue
            candidates.append((authenticator, ctap.info))
        if not candidates:
            if enrolled:
                raise WrongKeyError(
                    f"{_names(enrolled)} already enrolled: plug in another security key"
                )
            raise _unsupported(authenticators)
        return candidates

    def _holder(
        self,
        authenticators: Sequence[Authenticator],
        credentials: Sequence[Credential],
        reason: str,
    ) -> tuple[Authenticator, Credential]:
        supported: list[Authenticator] = []
        for authenticator in authenticators:
            ctap = _ctap2(authenticator, reason)
            if ctap is None or not supports_hmac_secret(ctap):
                continue
            supported.append(authenticator)
            held = _silently(authenticator, reason, partial(held_credential, ctap, credentials))
            if held is None:
                continue
            if not held.uv and ctap.info.options.get("alwaysUv"):
                raise PinError(
                    f"{authenticator.label} now always asks for its PIN (alwaysUv), but this"
                    " credential was enrolled without one: turn alwaysUv off to read it"
                )
            return authenticator, held
        if not supported:
            raise _unsupported(authenticators)
        if len(supported) == 1:
            raise WrongKeyError(
                f"{supported[0].label} does not hold the credential needed to {reason}:"
                " plug in the security key you enrolled"
            )
        raise WrongKeyError(
            f"none of the {len(supported)} connected security keys holds the credential"
            f" needed to {reason}: plug in the security key you enrolled"
        )


_check_source: type[KeySource] = FidoKeySource
_check_enrolment: type[EnrolmentCheck] = FidoKeySource


def _user_verification_configured(info: Info) -> bool:
    """Whether to enrol with UV: the key has a PIN or built-in UV set up.

    A user who gave the key a PIN expects it to guard these secrets too; the
    mode chosen here is recorded and kept for the credential's whole life.
    """
    return bool(info.options.get("clientPin") or info.options.get("uv"))


def _shown(chosen: Authenticator, connected: Sequence[Authenticator]) -> str | None:
    """The key to name in the touch prompt: only when another one could be mistaken for it."""
    return chosen.label if len(connected) > 1 else None


def _names(authenticators: Sequence[Authenticator]) -> str:
    if len(authenticators) == 1:
        return f"{authenticators[0].label} is"
    return "all connected security keys are"


def _unsupported(authenticators: Sequence[Authenticator]) -> UnsupportedDeviceError:
    subject = authenticators[0].label if len(authenticators) == 1 else "no connected security key"
    verb = "does not support" if len(authenticators) == 1 else "supports"
    return UnsupportedDeviceError(
        f"{subject} {verb} the FIDO2 hmac-secret extension: use a key that does"
        " (most FIDO2 keys made since 2019)"
    )


def _ctap2(authenticator: Authenticator, reason: str) -> Ctap2 | None:
    """The key's CTAP2 interface, or ``None`` for a U2F-only key."""
    if not authenticator.speaks_ctap2:
        return None
    try:
        return Ctap2(authenticator.device)
    except _FIDO_ERRORS as error:
        raise translate(error, Context(authenticator.label, reason)) from error


def _silently(authenticator: Authenticator, reason: str, call: Callable[[], _T]) -> _T:
    try:
        return call()
    except _FIDO_ERRORS as error:
        raise translate(error, Context(authenticator.label, reason)) from error


class _Prompts(UserInteraction):
    """python-fido2's callbacks, forwarded to the operation (fido2 wants a subclass)."""

    def __init__(self, operation: _Operation) -> None:
        self._operation = operation

    def prompt_up(self) -> None:
        self._operation.touch_requested()

    def request_pin(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> str | None:
        del permissions, rp_id  # the operation knows what the PIN is for
        return self._operation.pin()

    def request_uv(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> bool:
        del permissions, rp_id
        return True


@dataclass(slots=True)
class _Operation:
    """One enrolment or derivation on one key: its prompts, timer and PIN."""

    source: FidoKeySource
    authenticator: Authenticator
    reason: str
    shown: str | None = None
    """The key's label for the touch prompt, when several keys are connected."""
    _event: threading.Event = field(default_factory=threading.Event, init=False)
    _timer: threading.Timer | None = field(default=None, init=False)
    _timed_out: bool = field(default=False, init=False)
    _touching: bool = field(default=False, init=False)
    _pin: str | None = field(default=None, init=False, repr=False)

    def client(self, rp_id: str) -> Fido2Client:
        return Fido2Client(
            self.authenticator.device,
            client_data_collector=client_data_collector(rp_id),
            user_interaction=_Prompts(self),
            extensions=[HmacSecretExtension(allow_hmac_secret=True)],  # type: ignore[no-untyped-call]
        )

    def run(self, call: Callable[[threading.Event], _T]) -> _T:
        """``call(event)`` with the prompts shown and errors translated."""
        self._event = threading.Event()
        self._timed_out = False
        try:
            return call(self._event)
        except _FIDO_ERRORS as error:
            raise translate(error, self._context()) from error
        finally:
            self._end_touch()

    def touch_requested(self) -> None:
        if self._touching:
            return
        self._touching = True
        # The countdown starts when the key starts waiting, not before the PIN prompt.
        self._timer = threading.Timer(self.source.timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()
        interaction = self.source.interaction
        if self.shown is None:
            interaction.touch_started(self.reason, self.source.timeout)
        else:
            interaction.touch_started(self.reason, self.source.timeout, authenticator=self.shown)

    def pin(self) -> str | None:
        if self._pin is None:
            self._pin = self.source.interaction.ask_pin(self.authenticator.label, self.reason)
        return self._pin

    def _expire(self) -> None:
        self._timed_out = True
        self._event.set()

    def _end_touch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._touching:
            self._touching = False
            self.source.interaction.touch_ended()

    def _context(self) -> Context:
        device = self.authenticator.device

        def retries() -> int | None:
            return ClientPin(Ctap2(device)).get_pin_retries()[0]

        return Context(
            authenticator=self.authenticator.label,
            reason=self.reason,
            pin_retries=retries,
            timed_out=lambda: self._timed_out,
            timeout=self.source.timeout,
        )
