"""The agent client's answers, translated into the toolkit's errors.

Standard library only, like the client: the fast commands use it.
"""

from __future__ import annotations

from secrets_common import errors
from secrets_common.errors import AgentError, SecretsError
from tokenring.agent import client

TYPE_CHECKING = False  # see tokenring.agent.client: typing is too heavy for the fast paths
if TYPE_CHECKING:
    from typing import Any


class AgentUnavailableError(AgentError):
    """No agent answers at the socket."""


def error_from(failure: client.AgentFailure) -> SecretsError:
    """The error the agent reported, as the class it named."""
    klass = getattr(errors, failure.kind, None)
    if not (isinstance(klass, type) and issubclass(klass, SecretsError)):
        klass = SecretsError
    error = klass(failure.message)
    if error.exit_code != failure.exit_code:
        error.exit_code = failure.exit_code
    return error


def call(
    message: dict[str, Any],
    *,
    path: str | None = None,
    on_event: client.EventHandler | None = client.show_event,
) -> dict[str, Any]:
    """One request; :class:`AgentUnavailableError` when no agent runs."""
    try:
        return client.request(message, path=path, on_event=on_event)
    except client.AgentUnavailable as error:
        raise AgentUnavailableError(str(error)) from None
    except client.AgentGone as error:
        raise AgentError(f"{error}; run the command again") from None
    except client.AgentFailure as failure:
        raise error_from(failure) from None
