"""The vault file on disk: safe reads, a cross-process lock, atomic replaces.

A write goes to a fresh 0600 file in the same directory, is fsynced, renamed
over the vault, and the directory is fsynced: a reader or a crash sees the old
file or the new one, never a mix. Every read-modify-write holds an exclusive
lock on ``<vault>.lock``.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import attrs

from secrets_common.errors import NotFoundError, VaultError, VaultLockedError
from secrets_common.paths import ensure_private_dir

_UNSAFE = stat.S_IWGRP | stat.S_IWOTH


@attrs.frozen
class Stamp:
    """Identifies one version of the file: a replace changes the inode."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> Stamp:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@attrs.frozen
class VaultFile:
    """The path of a vault and how long to wait for its lock."""

    path: Path
    lock_timeout: float = 10.0

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def stamp(self) -> Stamp:
        """The current version of the file (NotFoundError if it is gone)."""
        try:
            return Stamp.of(self.path.stat())
        except FileNotFoundError:
            raise NotFoundError(f"no vault at {self.path}") from None
        except OSError as error:
            raise VaultError(f"cannot read {self.path}: {error.strerror}") from None

    def read(self) -> tuple[bytes, Stamp]:
        """The whole file and the version read, after the safety checks."""
        self._check_directory()
        try:
            # Non-blocking: a FIFO put in the vault's place must fail, not hang.
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            fd = os.open(self.path, flags)
        except FileNotFoundError:
            raise NotFoundError(f"no vault at {self.path}") from None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise VaultError(f"{self.path} is a symbolic link; refusing to open it") from None
            raise VaultError(f"cannot read {self.path}: {error.strerror}") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise VaultError(f"{self.path} is not a regular file")
        with os.fdopen(fd, "rb") as handle:
            self._check_mode(info, self.path, "600")
            try:
                data = handle.read()
            except OSError as error:
                raise VaultError(f"cannot read {self.path}: {error.strerror}") from None
        return data, Stamp.of(info)

    def exists(self) -> bool:
        return self.path.exists()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the vault's exclusive lock (VaultLockedError after the timeout)."""
        # Imported here: reading a vault (the common case) never locks.
        import filelock

        lock = filelock.FileLock(self.lock_path, timeout=self.lock_timeout, mode=0o600)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise VaultLockedError(
                f"vault {self.path} is locked by another process (waited {self.lock_timeout:g} s)"
            ) from None
        except OSError as error:
            raise VaultError(f"cannot lock {self.path}: {error.strerror}") from None
        try:
            yield
        finally:
            lock.release()

    def wait_unlocked(self) -> None:
        """Wait, as :meth:`locked` would, until no other process holds the lock.

        The lock is released again at once: a caller about to ask for a touch
        learns that the write would time out before anyone touches a key.
        """
        with self.locked():
            pass

    def create_directory(self) -> None:
        """The vault's directory, created 0700 if missing (and so are its parents)."""
        ensure_private_dir(self.path.parent)

    def replace(self, data: bytes) -> Stamp:
        """Atomically make ``data`` the vault's content; returns its new version.

        Call with the lock held; removes temporaries left by killed writers.
        """
        import tempfile

        directory = self.path.parent
        self._remove_stale_temporaries()
        try:
            fd, temporary = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=directory
            )
        except OSError as error:
            raise VaultError(f"cannot write {self.path}: {error.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                info = os.fstat(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException as error:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            if isinstance(error, OSError):
                raise VaultError(f"cannot write {self.path}: {error.strerror}") from None
            raise
        self._fsync_directory()
        return Stamp.of(info)

    def _remove_stale_temporaries(self) -> None:
        # Temporaries are only made under the lock, which we hold: any left is
        # from a writer killed before its rename.
        for stale in self.path.parent.glob(f".{glob.escape(self.path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()

    def _fsync_directory(self) -> None:
        # The rename is only durable once the directory entry is on disk.
        try:
            fd = os.open(self.path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def _check_directory(self) -> None:
        try:
            info = self.path.parent.stat()
        except FileNotFoundError:
            raise NotFoundError(f"no vault at {self.path}") from None
        except OSError as error:
            raise VaultError(f"cannot read {self.path}: {error.strerror}") from None
        self._check_mode(info, self.path.parent, "700")

    @staticmethod
    def _check_mode(info: os.stat_result, path: Path, fix: str) -> None:
        if info.st_mode & _UNSAFE and not (stat.S_ISDIR(info.st_mode) and _sticky_root(info)):
            raise VaultError(
                f"{path} is writable by other users, who could replace the vault; "
                f"run: chmod {fix} {path}"
            )
        if hasattr(os, "getuid") and info.st_uid not in (os.getuid(), 0):
            raise VaultError(f"{path} belongs to another user; refusing to use it")


def _sticky_root(info: os.stat_result) -> bool:
    # /tmp-like directories (sticky, owned by root) do not let others replace our file.
    return bool(info.st_mode & stat.S_ISVTX) and info.st_uid == 0
