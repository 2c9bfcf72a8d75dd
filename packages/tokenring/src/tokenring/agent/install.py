"""``tokenring agent --install``: the agent as a per-user service.

On Linux, two systemd user units: ``tokenring-agent.socket`` listens at the
agent's socket from login on, and the first connection starts
``tokenring-agent.service``, which takes that socket over (``LISTEN_FDS``,
:mod:`tokenring.agent.activation`) and starts locked: the first request's
touch unlocks it. On macOS, a launchd agent that starts the agent, locked, at
login: launchd hands its sockets over only through ``launch_activate_socket``,
which Python's standard library does not offer, so there is no activation
there. Either way the service sees none of the shell's environment, so the
vault, the socket, SECRETS_HOME and the timeouts in force now are written in.
"""

from __future__ import annotations

import os
import plistlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from secrets_common.errors import UsageError
from secrets_common.home import HOME_VARIABLE, secrets_home_text
from secrets_common.userunits import (
    launchd_dir,
    remove_files,
    systemd_dir,
    systemd_word,
    write_launchd_plist,
    write_systemd_units,
)
from tokenring.locations import SOCKET_VARIABLE
from tokenring.session import IDLE_VARIABLE, LIFETIME_VARIABLE

UNIT = "tokenring-agent"
LAUNCHD_LABEL = "org.secrets-toolkit.tokenring-agent"
CARRIED = (IDLE_VARIABLE, LIFETIME_VARIABLE, "SECRETS_AUTHENTICATOR")
"""Set in the shell at install time, these are written into the service."""


def agent_command(vault: Path) -> list[str]:
    python = str(Path(sys.executable).absolute())
    return [python, "-m", "tokenring", "agent", "--locked", "--vault", str(vault)]


def carried_environment(environ: Mapping[str, str], socket_path: str) -> dict[str, str]:
    carried = {
        HOME_VARIABLE: str(Path(secrets_home_text(environ)).absolute()),
        SOCKET_VARIABLE: socket_path,
    }
    carried.update({name: environ[name] for name in CARRIED if environ.get(name)})
    return carried


def systemd_units(
    command: Sequence[str], environment: Mapping[str, str], socket_path: str
) -> dict[str, str]:
    socket_unit = "\n".join(
        [
            "[Unit]",
            "Description=TokenRing agent socket: the agent starts on the first request",
            "",
            "[Socket]",
            # A path, not a command line: only specifiers need escaping.
            "ListenStream=" + socket_path.replace("%", "%%"),
            "SocketMode=0600",
            "DirectoryMode=0700",
            "RemoveOnStop=true",
            "",
            "[Install]",
            "WantedBy=sockets.target",
            "",
        ]
    )
    service = "\n".join(
        [
            "[Unit]",
            "Description=TokenRing agent: the vault kept unlocked for this session",
            f"Requires={UNIT}.socket",
            f"After={UNIT}.socket",
            "",
            "[Service]",
            "Type=simple",
            *(f"Environment={systemd_word(f'{k}={v}')}" for k, v in environment.items()),
            "ExecStart=" + " ".join(systemd_word(word) for word in command),
            "",
        ]
    )
    return {f"{UNIT}.socket": socket_unit, f"{UNIT}.service": service}


def launchd_plist(command: Sequence[str], environment: Mapping[str, str]) -> bytes:
    return plistlib.dumps(
        {
            "Label": LAUNCHD_LABEL,
            "ProgramArguments": list(command),
            "EnvironmentVariables": dict(environment),
            "RunAtLoad": True,
            "KeepAlive": False,
            "ProcessType": "Background",
        }
    )


def _unsupported(platform: str) -> UsageError:
    return UsageError(
        f"agent --install knows systemd (Linux) and launchd (macOS), not {platform!r};"
        " the agent starts on demand without it"
    )


def install(
    environ: Mapping[str, str], vault: Path, socket_path: str, platform: str = sys.platform
) -> list[str]:
    """Write the service files; what to tell the user."""
    command, environment = agent_command(vault), carried_environment(environ, socket_path)
    if platform == "linux":
        written = write_systemd_units(
            systemd_dir(environ), systemd_units(command, environment, socket_path)
        )
        return [*written, f"enable it: systemctl --user enable --now {UNIT}.socket"]
    if platform == "darwin":
        target = launchd_dir() / f"{LAUNCHD_LABEL}.plist"
        wrote = write_launchd_plist(target, launchd_plist(command, environment))
        return [wrote, f"enable it: launchctl bootstrap gui/{os.getuid()} {target}"]
    raise _unsupported(platform)


def uninstall(environ: Mapping[str, str], platform: str = sys.platform) -> list[str]:
    if platform == "linux":
        directory = systemd_dir(environ)
        targets = [
            directory / f"{UNIT}.socket",
            directory / f"{UNIT}.service",
            # Where `systemctl --user enable` links the socket.
            directory / "sockets.target.wants" / f"{UNIT}.socket",
        ]
        after = (
            f"then: systemctl --user stop {UNIT}.socket {UNIT}.service;"
            " systemctl --user daemon-reload"
        )
    elif platform == "darwin":
        targets = [launchd_dir() / f"{LAUNCHD_LABEL}.plist"]
        after = f"then: launchctl bootout gui/{os.getuid()}/{LAUNCHD_LABEL}"
    else:
        raise _unsupported(platform)
    removed = remove_files(targets)
    if not removed:
        return ["no agent service was installed"]
    return [*removed, after]
