"""The agent on Windows: not implemented — TokenRing works in-process there.

The design it would follow: a named pipe ``\\\\.\\pipe\\tokenring-<user SID>``
created with a security descriptor whose DACL grants access to the current
user's SID only (``CreateNamedPipeW`` with ``PIPE_REJECT_REMOTE_CLIENTS``),
the caller's identity checked with ``GetNamedPipeClientProcessId`` and its
token, and the same frames as :mod:`tokenring.agent.protocol`. It cannot be tested
on this project's Linux machines, so it is left out rather than shipped
untested; on Windows every command and the keyring backend work in-process
(one touch per read, one per write).
"""

from __future__ import annotations

from secrets_common.errors import AgentError


def pipe_name(user_sid: str) -> str:
    return f"\\\\.\\pipe\\tokenring-{user_sid}"


def serve_on_named_pipe() -> None:
    raise AgentError(
        "the TokenRing agent is not available on Windows yet; every command works without it"
    )
