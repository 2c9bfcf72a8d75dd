"""A private package index on 127.0.0.1 for the tests of real install clients.

It serves a PEP 503 simple index of one tiny wheel, takes uploads at
``/legacy/`` as PyPI's upload API does (twine's POST of a multipart form),
and answers 401 to every request that lacks the right Basic credentials, as a
private index does. The wheel is written as a zip here, so no build backend runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs

PROJECT = "tinypkg"
VERSION = "1.0"
WHEEL = f"{PROJECT}-{VERSION}-py3-none-any.whl"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(directory: Path) -> Path:
    """Write ``tinypkg-1.0-py3-none-any.whl`` (one module) into ``directory``."""
    info = f"{PROJECT}-{VERSION}.dist-info"
    files = {
        f"{PROJECT}/__init__.py": b"ANSWER = 42\n",
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {VERSION}\n".encode()
        ),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [_record_line(name, data) for name, data in files.items()]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / WHEEL
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


@attrs.define
class Requests:
    """What the index saw: how many requests it refused and how many it served."""

    refused: int = 0
    served: list[str] = attrs.field(factory=list)
    lock: threading.Lock = attrs.field(factory=threading.Lock)


@attrs.frozen
class PrivateIndex:
    """A running index: its port, the credential it wants, and what it saw."""

    port: int
    username: str
    password: str
    requests: Requests

    @property
    def netloc(self) -> str:
        """``127.0.0.1:PORT``: the name pip and uv fall back to in the keyring."""
        return f"127.0.0.1:{self.port}"

    def url(self, *, with_user: bool) -> str:
        """The simple index URL, with the user name in it or without."""
        user = f"{self.username}@" if with_user else ""
        return f"http://{user}{self.netloc}/simple/"

    @property
    def index_url(self) -> str:
        """The index URL without credentials: the first name pip asks the keyring."""
        return self.url(with_user=False)

    @property
    def upload_url(self) -> str:
        """Where twine uploads: the name it asks the keyring."""
        return f"http://{self.netloc}/legacy/"


def _handler(wheel: Path, expected: str, requests: Requests) -> type[BaseHTTPRequestHandler]:
    pages = {
        "/simple/": f'<a href="/simple/{PROJECT}/">{PROJECT}</a>\n',
        f"/simple/{PROJECT}/": (
            f'<a href="/packages/{WHEEL}#sha256={hashlib.sha256(wheel.read_bytes()).hexdigest()}">'
            f"{WHEEL}</a>\n"
        ),
    }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # the test reads Requests, not a log

        def _authorized(self) -> bool:
            given = self.headers.get("Authorization", "")
            return hmac.compare_digest(given.encode(), expected.encode())

        def do_HEAD(self) -> None:
            self._answer(body_wanted=False)

        def do_GET(self) -> None:
            self._answer(body_wanted=True)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = self.rfile.read(length)
            if not self._authorized():
                self._refuse()
                return
            if self.path != "/legacy/" or b'name="content"' not in form:
                self.send_response(400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with requests.lock:
                requests.served.append(f"POST {self.path}")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _refuse(self) -> None:
            with requests.lock:
                requests.refused += 1
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="private index"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _answer(self, *, body_wanted: bool) -> None:
            path = self.path.split("?", 1)[0]
            if not self._authorized():
                self._refuse()
                return
            if path in pages:
                body, kind = pages[path].encode(), "text/html"
            elif path == f"/packages/{WHEEL}":
                body, kind = wheel.read_bytes(), "application/octet-stream"
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with requests.lock:
                requests.served.append(f"{self.command} {path}")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body_wanted:
                self.wfile.write(body)

    return Handler


@contextmanager
def private_index(directory: Path, username: str, password: str) -> Iterator[PrivateIndex]:
    """Serve the tiny wheel from ``directory`` behind Basic ``username``/``password``."""
    wheel = build_wheel(directory)
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    requests = Requests()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(wheel, f"Basic {token}", requests))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PrivateIndex(server.server_address[1], username, password, requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
