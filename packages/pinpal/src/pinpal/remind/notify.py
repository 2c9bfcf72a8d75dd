"""Posting one desktop notification through a maintained library.

On Linux, jeepney calls org.freedesktop.Notifications.Notify on the session
bus itself: desktop-notifier swallows send failures there, so it could not
say "no bus" or "no notification server". Elsewhere desktop-notifier reaches
Notification Center (macOS) or toasts (Windows). Both are imported only when
a notification is posted.
"""

from __future__ import annotations

import sys
from html import escape

APP_NAME = "PINPal"
SEND_TIMEOUT = 10.0
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"


class NotificationUnavailable(Exception):
    """Nothing could show the notification (no bus, no server, refused)."""


def post(summary: str, body: str) -> None:
    if sys.platform == "linux":
        post_freedesktop(summary, body)
    else:
        post_desktop_notifier(summary, body)


def post_freedesktop(summary: str, body: str, bus: str = "SESSION") -> None:
    """Notify on the session bus; raises :class:`NotificationUnavailable`."""
    from jeepney import DBusAddress, DBusErrorResponse, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    address = DBusAddress(NOTIFICATIONS_PATH, bus_name=NOTIFICATIONS, interface=NOTIFICATIONS)
    # The body may be read as markup (the spec's body-markup): labels are text.
    arguments: tuple[object, ...] = (
        APP_NAME,
        0,
        "",
        summary,
        escape(body, quote=False),
        [],
        {},
        -1,
    )
    message = new_method_call(address, "Notify", "susssasa{sv}i", arguments)
    try:
        connection = open_dbus_connection(bus=bus)
    except KeyError:
        raise NotificationUnavailable(
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
        ) from None
    except (OSError, ValueError) as error:
        raise NotificationUnavailable(f"no D-Bus session bus to connect to ({error})") from None
    try:
        with connection:
            connection.send_and_get_reply(message, timeout=SEND_TIMEOUT, unwrap=True)
    except DBusErrorResponse as error:
        raise NotificationUnavailable(
            f"no notification server on the session bus ({error.name})"
        ) from None
    except (OSError, TimeoutError) as error:
        raise NotificationUnavailable(f"the session bus failed ({error})") from None


def post_desktop_notifier(summary: str, body: str) -> None:
    try:
        from desktop_notifier import DesktopNotifierSync
    except ImportError:
        raise NotificationUnavailable("desktop-notifier is not installed") from None
    try:
        DesktopNotifierSync(app_name=APP_NAME).send(title=summary, message=body)
    except Exception as error:  # its backends raise their platforms' own errors
        raise NotificationUnavailable(f"the notification failed ({error})") from None
