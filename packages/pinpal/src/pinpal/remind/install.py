"""`pinpal remind --install`: a systemd user timer (Linux) or launchd agent (macOS).

Either runs `pinpal remind` every 30 minutes through the interpreter that
runs now, with this SECRETS_HOME (and quiet hours, when set) carried over:
a timer does not see the shell's environment.
"""

from __future__ import annotations

import os
import plistlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from pinpal.remind.quiet import QUIET_VARIABLE
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

UNIT = "pinpal-remind"
AGENT = "org.secrets-toolkit.pinpal-remind"
INTERVAL_MINUTES = 30


def reminder_command() -> list[str]:
    return [str(Path(sys.executable).absolute()), "-m", "pinpal", "remind"]


def carried_environment(environ: Mapping[str, str]) -> dict[str, str]:
    carried = {HOME_VARIABLE: str(Path(secrets_home_text(environ)).absolute())}
    if environ.get(QUIET_VARIABLE):
        carried[QUIET_VARIABLE] = environ[QUIET_VARIABLE]
    return carried


def systemd_units(command: Sequence[str], environment: Mapping[str, str]) -> dict[str, str]:
    lines = [f"Environment={systemd_word(f'{k}={v}')}" for k, v in environment.items()]
    service = "\n".join(
        [
            "[Unit]",
            "Description=PINPal: a desktop notification when practice is due",
            "",
            "[Service]",
            "Type=oneshot",
            *lines,
            "ExecStart=" + " ".join(systemd_word(word) for word in command),
            "",
        ]
    )
    timer = "\n".join(
        [
            "[Unit]",
            f"Description=PINPal: check every {INTERVAL_MINUTES} minutes whether practice is due",
            "",
            "[Timer]",
            f"OnCalendar=*:0/{INTERVAL_MINUTES}",
            "Persistent=true",
            "AccuracySec=1min",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )
    return {f"{UNIT}.service": service, f"{UNIT}.timer": timer}


def launchd_plist(command: Sequence[str], environment: Mapping[str, str]) -> bytes:
    agent = {
        "Label": AGENT,
        "ProgramArguments": list(command),
        "EnvironmentVariables": dict(environment),
        "StartInterval": INTERVAL_MINUTES * 60,
        "RunAtLoad": True,
    }
    return plistlib.dumps(agent)


def _unsupported(platform: str) -> UsageError:
    return UsageError(
        f"remind --install knows systemd (Linux) and launchd (macOS), not {platform!r}; "
        f"schedule `{' '.join(reminder_command())}` every {INTERVAL_MINUTES} minutes yourself"
    )


def install(environ: Mapping[str, str], platform: str = sys.platform) -> list[str]:
    """Write the files; returns what to tell the user."""
    command, environment = reminder_command(), carried_environment(environ)
    if platform == "linux":
        written = write_systemd_units(systemd_dir(environ), systemd_units(command, environment))
        return [*written, f"enable it: systemctl --user enable --now {UNIT}.timer"]
    if platform == "darwin":
        target = launchd_dir() / f"{AGENT}.plist"
        wrote = write_launchd_plist(target, launchd_plist(command, environment))
        return [wrote, f"enable it: launchctl bootstrap gui/{os.getuid()} {target}"]
    raise _unsupported(platform)


def uninstall(environ: Mapping[str, str], platform: str = sys.platform) -> list[str]:
    if platform == "linux":
        directory = systemd_dir(environ)
        targets = [
            directory / f"{UNIT}.service",
            directory / f"{UNIT}.timer",
            # Where `systemctl --user enable` links the timer.
            directory / "timers.target.wants" / f"{UNIT}.timer",
        ]
        after = f"then: systemctl --user stop {UNIT}.timer; systemctl --user daemon-reload"
    elif platform == "darwin":
        targets = [launchd_dir() / f"{AGENT}.plist"]
        after = f"then: launchctl bootout gui/{os.getuid()}/{AGENT}"
    else:
        raise _unsupported(platform)
    removed = remove_files(targets)
    if not removed:
        return ["no reminder timer was installed"]
    return [*removed, after]
