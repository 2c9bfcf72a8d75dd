"""`pinpal remind` on a real session bus, and its timer files."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from jeepney import HeaderFields, MessageType, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

from pinpal.remind import install
from tests.cli import run
from tests.pinpal.helpers import START, seed

NOTIFICATIONS = "org.freedesktop.Notifications"
DUE = str(START + 60)
# 1_700_000_000 is 22:13 UTC: inside 22-8, outside 8-22.
NOT_DUE = str(START - 3600)


@pytest.fixture
def bus() -> Iterator[str]:
    if shutil.which("dbus-daemon") is None:
        if os.environ.get("CI"):
            pytest.fail("dbus-daemon is missing (apt package dbus)")
        pytest.skip("dbus-daemon is missing (apt package dbus)")
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert daemon.stdout is not None
        yield daemon.stdout.readline().strip()
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


class Server:
    """A minimal org.freedesktop.Notifications server on its own thread."""

    def __init__(self, address: str) -> None:
        self.connection = open_dbus_connection(bus=address)
        reply = self.connection.send_and_get_reply(
            message_bus.RequestName(NOTIFICATIONS), timeout=10
        )
        assert reply.body == (1,)  # the primary owner
        self.posted: list[tuple[object, ...]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stopping.is_set():
            try:
                message = self.connection.receive(timeout=0.1)
            except TimeoutError:
                continue
            fields = message.header.fields
            if message.header.message_type is MessageType.method_call and (
                fields.get(HeaderFields.member) == "Notify"
            ):
                self.posted.append(message.body)
                self.connection.send(new_method_return(message, "u", (len(self.posted),)))

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        self.connection.close()


@pytest.fixture
def server(bus: str) -> Iterator[Server]:
    serving = Server(bus)
    yield serving
    serving.stop()


def remind(
    env: dict[str, str], bus: str, now: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    return run(
        "pinpal",
        "--now",
        now,
        "remind",
        env={**env, "DBUS_SESSION_BUS_ADDRESS": bus, "TZ": "UTC", **extra},
    )


def test_posts_one_notification_naming_the_due_labels(
    env: dict[str, str], bus: str, server: Server
) -> None:
    secrets = seed(env, "laptop", "phone")
    result = remind(env, bus, DUE)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr
    assert len(server.posted) == 1
    app, replaces, _icon, summary, body, actions, _hints, _timeout = server.posted[0]
    assert (app, replaces, actions) == ("PINPal", 0, [])
    text = f"{summary} {body}"
    assert "laptop" in text
    assert "phone" in text
    for secret in secrets.values():
        for word in secret.split():
            assert word not in text


def test_nothing_due_posts_nothing(env: dict[str, str], bus: str, server: Server) -> None:
    seed(env, "laptop")
    result = remind(env, bus, NOT_DUE)
    assert (result.returncode, result.stderr) == (0, "")
    assert remind(env, bus, DUE).returncode == 0
    assert len(server.posted) == 1


def test_quiet_hours_post_nothing(env: dict[str, str], bus: str, server: Server) -> None:
    seed(env, "laptop")
    assert remind(env, bus, DUE, PINPAL_QUIET_HOURS="22-8").returncode == 0
    assert server.posted == []
    assert remind(env, bus, DUE, PINPAL_QUIET_HOURS="8-22").returncode == 0
    assert len(server.posted) == 1


@pytest.mark.parametrize("value", ["22", "25-8", "x-y", "8-8", "22:75-8"])
def test_bad_quiet_hours_is_one_line(
    env: dict[str, str], bus: str, server: Server, value: str
) -> None:
    seed(env, "laptop")
    result = remind(env, bus, DUE, PINPAL_QUIET_HOURS=value)
    assert result.returncode == 0
    assert len(result.stderr.splitlines()) == 1
    assert "PINPAL_QUIET_HOURS" in result.stderr
    assert server.posted == []


def test_no_bus_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    seed(env, "laptop")
    result = remind(env, f"unix:path={tmp_path / 'nowhere'}", DUE)
    assert result.returncode == 0
    assert len(result.stderr.splitlines()) == 1
    assert "session bus" in result.stderr
    assert "Traceback" not in result.stderr


def test_bus_without_server_is_one_line(env: dict[str, str], bus: str) -> None:
    seed(env, "laptop")
    result = remind(env, bus, DUE)
    assert result.returncode == 0
    assert len(result.stderr.splitlines()) == 1
    assert "notification server" in result.stderr


def test_the_label_file_is_private(env: dict[str, str]) -> None:
    seed(env, "laptop")
    labels = Path(env["SECRETS_HOME"]) / "pinpal" / "due-labels"
    assert labels.stat().st_mode & 0o777 == 0o600
    assert "laptop" in labels.read_text()


def test_install_writes_verifiable_units_and_uninstall_removes_them(tmp_path: Path) -> None:
    config = tmp_path / "config"
    result = run("pinpal", "remind", "--install", env={"XDG_CONFIG_HOME": str(config)})
    assert result.returncode == 0, result.stderr
    units = config / "systemd" / "user"
    service, timer = units / "pinpal-remind.service", units / "pinpal-remind.timer"
    assert "OnCalendar=*:0/30" in timer.read_text()
    assert "systemctl --user enable --now pinpal-remind.timer" in result.stdout
    assert '"remind"' in service.read_text()
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (apt package systemd)")
    else:
        verified = subprocess.run(
            ["systemd-analyze", "--user", "verify", str(service), str(timer)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "XDG_CONFIG_HOME": str(config)},
        )
        assert verified.returncode == 0, verified.stderr
    removed = run("pinpal", "remind", "--uninstall", env={"XDG_CONFIG_HOME": str(config)})
    assert removed.returncode == 0
    assert not service.exists()
    assert not timer.exists()


def test_launchd_plist_runs_every_30_minutes() -> None:
    import plistlib

    agent = plistlib.loads(install.launchd_plist(["/x/python", "-m", "pinpal", "remind"], {}))
    assert agent["StartInterval"] == 1800
    assert agent["ProgramArguments"][-1] == "remind"
