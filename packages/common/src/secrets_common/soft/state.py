"""The software authenticator's persistent state: one small JSON file.

It holds what a real key keeps in its secure element and nothing per
credential (credentials carry their own wrapped keys): the master secret,
the AAGUID, the PIN state, the signature counter and the number of touches
granted. Several processes share the file, so every change happens under a
lock file beside it and lands with an atomic replace.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import glob
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secrets_common.errors import AuthenticatorError

if TYPE_CHECKING:
    from filelock import FileLock

FORMAT_VERSION = 1
PIN_RETRIES_MAX = 8
MASTER_SECRET_LENGTH = 32
PIN_HASH_LENGTH = 16
# Requests are milliseconds long; a lock held this long is a hung process.
LOCK_TIMEOUT = 30.0
# A state file is a few hundred bytes; anything far larger is not one.
MAX_STATE_SIZE = 64 * 1024


class SoftStateError(AuthenticatorError):
    """The software authenticator's state file is unreadable or corrupt."""


@dataclass(frozen=True, slots=True)
class DeviceState:
    """Everything the software key remembers across power cycles."""

    master_secret: bytes = field(repr=False)
    aaguid: bytes
    pin_hash: bytes | None = field(default=None, repr=False)
    pin_retries: int = PIN_RETRIES_MAX
    counter: int = 0
    touches: int = 0

    @classmethod
    def new(cls) -> DeviceState:
        import secrets  # with hmac and hashlib, a cost `secrets token list` need not pay

        return cls(
            master_secret=secrets.token_bytes(MASTER_SECRET_LENGTH),
            aaguid=secrets.token_bytes(16),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "kind": "secrets-toolkit soft authenticator",
            "aaguid": self.aaguid.hex(),
            "master_secret": _b64(self.master_secret),
            "pin_hash": None if self.pin_hash is None else _b64(self.pin_hash),
            "pin_retries": self.pin_retries,
            "counter": self.counter,
            "touches": self.touches,
        }

    @classmethod
    def from_json(cls, data: object) -> DeviceState:
        """Parse the stored form; ValueError says what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"unknown format {data.get('format')!r}")
        master = _unb64(data.get("master_secret"), "master_secret")
        if len(master) != MASTER_SECRET_LENGTH:
            raise ValueError("master_secret has the wrong length")
        aaguid_text = data.get("aaguid")
        if not isinstance(aaguid_text, str):
            raise ValueError("aaguid is missing")
        try:
            aaguid = bytes.fromhex(aaguid_text)
        except ValueError:
            raise ValueError("aaguid is not hexadecimal") from None
        if len(aaguid) != 16:
            raise ValueError("aaguid has the wrong length")
        raw_pin = data.get("pin_hash")
        pin_hash = None if raw_pin is None else _unb64(raw_pin, "pin_hash")
        if pin_hash is not None and len(pin_hash) != PIN_HASH_LENGTH:
            raise ValueError("pin_hash has the wrong length")
        retries = _count(data, "pin_retries")
        if retries > PIN_RETRIES_MAX:
            raise ValueError("pin_retries is out of range")
        return cls(
            master_secret=master,
            aaguid=aaguid,
            pin_hash=pin_hash,
            pin_retries=retries,
            counter=_count(data, "counter"),
            touches=_count(data, "touches"),
        )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{name} is missing")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"{name} is not base64") from None


def _count(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} is not a non-negative integer")
    return value


@dataclass(slots=True)
class StateFile:
    """Read-modify-write access to the state file, one transaction at a time."""

    path: Path
    # Made at the first transaction: reads need no lock, and filelock costs
    # `secrets token list` more than the rest of the soft key.
    _lock: FileLock | None = field(init=False, default=None)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[StateBox]:
        """Hold the lock, load (creating if missing), then save what changed.

        The state is saved even when the body raises: a touch granted or a
        PIN retry spent before an error must not be forgotten.
        """
        from filelock import FileLock, Timeout

        self._ensure_parent()
        if self._lock is None:
            self._lock = FileLock(str(self.lock_path), mode=0o600, timeout=LOCK_TIMEOUT)
        try:
            self._lock.acquire()
        except Timeout:
            raise SoftStateError(
                f"{self.path} is busy: another process has held {self.lock_path}"
                f" for {LOCK_TIMEOUT:.0f} s"
            ) from None
        except OSError as error:
            raise SoftStateError(f"cannot lock {self.lock_path}: {error.strerror}") from None
        try:
            original = self._load_or_create()
            box = StateBox(original)
            try:
                yield box
            finally:
                if box.state != original:
                    self._save(box.state)
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def reading(self) -> Iterator[StateBox]:
        """The state as it is, without the lock, for a request that changes nothing.

        Every write replaces the file by one rename, so a read without the
        lock still sees one whole state. A key not made yet is made by a
        transaction. A change to the state inside is refused, never lost quietly.
        """
        if not self.path.exists():
            with self.transaction() as box:
                yield box
            return
        original = self._load()
        box = StateBox(original)
        yield box
        if box.state != original:
            raise SoftStateError(f"a read-only request tried to change {self.path}")

    def _ensure_parent(self) -> None:
        parent = self.path.parent
        # One at a time: mkdir(parents=True) would give the missing ancestors
        # the umask's mode (0755), not 0700.
        for directory in reversed([parent, *parent.parents]):
            try:
                if not directory.exists():
                    directory.mkdir(mode=0o700, exist_ok=True)
            except OSError as error:
                raise SoftStateError(
                    f"cannot create the directory {directory} for {self.path}: {error.strerror}"
                ) from None
        if not parent.is_dir():
            raise SoftStateError(f"cannot use {self.path}: {parent} is not a directory")

    def _load_or_create(self) -> DeviceState:
        try:
            return self._load()
        except FileNotFoundError:
            state = DeviceState.new()
            self._save(state)
            return state

    def _load(self) -> DeviceState:
        try:
            text = self._read()
        except FileNotFoundError:
            raise  # the caller's to decide: make the key, or take the lock first
        except OSError as error:
            raise SoftStateError(f"cannot read {self.path}: {error.strerror}") from None
        try:
            if not text.strip():
                # Never one of ours (writes are atomic): refuse rather than
                # silently replace a key whose credentials something needs.
                raise ValueError("the file is empty")
            return DeviceState.from_json(json.loads(text))
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            # RecursionError: json gives up on deeply nested arrays that way.
            detail = "nested too deeply" if isinstance(error, RecursionError) else error
            raise SoftStateError(
                f"{self.path} is not a usable software authenticator state file: {detail}"
            ) from None

    def _read(self) -> bytes:
        # Non-blocking, so that a FIFO in its place fails instead of hanging,
        # and bounded, so that a device file like /dev/zero cannot fill memory.
        fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as stream:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise SoftStateError(f"{self.path} is not a regular file")
            if mode & (stat.S_IWGRP | stat.S_IWOTH):
                # Whoever can write it can plant a master secret they know.
                raise SoftStateError(
                    f"{self.path} is writable by other users, who could replace the key's"
                    f" secret; run: chmod 600 {self.path}"
                )
            data = stream.read(MAX_STATE_SIZE + 1)
        if len(data) > MAX_STATE_SIZE:
            raise SoftStateError(
                f"{self.path} is not a usable software authenticator state file: too large"
            )
        return data

    def _save(self, state: DeviceState) -> None:
        payload = (json.dumps(state.to_json(), indent=2) + "\n").encode("utf-8")
        directory = self.path.parent
        # Temporaries are only made under the lock, which we hold: any left
        # over is from a process killed before its rename.
        for stale in directory.glob(f".{glob.escape(self.path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
        import tempfile  # only writers pay for it (and shutil, lzma, bz2)

        try:
            handle, temp_name = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=directory
            )
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(payload)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(temp_name, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp_name)
                raise
            _fsync_directory(directory)
        except OSError as error:
            raise SoftStateError(f"cannot write {self.path}: {error.strerror}") from None


@dataclass(slots=True)
class StateBox:
    """The state being worked on inside one transaction."""

    state: DeviceState


def _fsync_directory(directory: Path) -> None:
    # Without this the rename itself may not survive a crash.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
