"""The last generation seen of each vault, kept outside the vault file.

A vault's index (authenticated, so only a holder of its index key can change
it) carries a generation that every write increases. This log remembers, per
vault id, the highest generation seen and, per path, the vault id last seen
there — in memory for the life of the process (the agent's), and in a small
0600 JSON file under ``SECRETS_HOME`` for the next process. A file older than
that, or another vault at the same path, is refused.

Same-user code can edit the state file as easily as the vault: this guards
against stale backups, sync conflicts and whoever controls only the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from secrets_common.errors import VaultError
from secrets_common.paths import ensure_private_dir

STATE_NAME = "vault-generations.json"
_MAX_STATE = 1 << 20


class RollbackError(VaultError):
    """The vault file is older than one already seen, or another vault took its place."""


class GenerationLog:
    """Highest generation per vault id and vault id per path (thread-safe)."""

    def __init__(self, state_file: Path | None) -> None:
        self.state_file = state_file
        self._generations: dict[str, int] = {}
        self._paths: dict[str, str] = {}
        self._lock = threading.Lock()

    def check(self, path: Path, vault_id: str, generation: int) -> None:
        """RollbackError if ``generation`` of ``vault_id`` at ``path`` is not acceptable."""
        with self._lock:
            self._merge_file()
            seen_id = self._paths.get(str(path))
            if seen_id is not None and seen_id != vault_id:
                raise RollbackError(
                    f"{path} holds generation {generation} of vault {vault_id[:12]}, but "
                    f"generation {self._generations.get(seen_id, 0)} of vault {seen_id[:12]} "
                    "was last seen there; refusing it (put a backup back on purpose with "
                    "`tokenring restore FILE`)"
                )
            last = self._generations.get(vault_id, 0)
            if generation < last:
                raise RollbackError(
                    f"{path} is generation {generation} of its vault, older than generation "
                    f"{last} already seen: a rollback or a stale copy; refusing it (put a "
                    "backup back on purpose with `tokenring restore FILE`)"
                )

    def record(self, path: Path, vault_id: str, generation: int) -> None:
        """Remember ``generation`` (never lowers what is remembered)."""
        with self._lock:
            changed = self._paths.get(str(path)) != vault_id or generation > self._generations.get(
                vault_id, -1
            )
            if not changed:
                return
            with self._file_lock():
                # Merged under the lock: two processes writing at once lose nothing.
                self._merge_file()
                self._paths[str(path)] = vault_id
                self._generations[vault_id] = max(generation, self._generations.get(vault_id, 0))
                self._save()

    def forget_path(self, path: Path) -> None:
        """Let another vault take ``path`` (``restore`` of a different vault, a new ``init``)."""
        with self._lock, self._file_lock():
            self._merge_file()
            if self._paths.pop(str(path), None) is not None:
                self._save()

    def forget_vault(self, path: Path, vault_id: str) -> None:
        """Forget a vault that is gone for good (one made and withdrawn by one command).

        A log then left holding nothing is removed, with its lock file, so
        that the state is as before the vault was made. A process waiting on
        that lock meanwhile holds the removed file's lock; the worst it can
        do is race another writer of a log that was empty a moment before.
        """
        with self._lock, self._file_lock():
            self._merge_file()
            self._generations.pop(vault_id, None)
            if self._paths.get(str(path)) == vault_id:
                del self._paths[str(path)]
            if self._generations or self._paths or self.state_file is None:
                self._save()
                return
            for leftover in (self.state_file, _lock_path(self.state_file)):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self.state_file is None:
            yield
            return
        import filelock

        ensure_private_dir(self.state_file.parent)
        lock = filelock.FileLock(_lock_path(self.state_file), timeout=10, mode=0o600)
        try:
            lock.acquire()
        except (filelock.Timeout, OSError) as error:
            raise VaultError(f"cannot lock the rollback state {self.state_file}: {error}") from None
        try:
            yield
        finally:
            lock.release()

    def last(self, vault_id: str) -> int:
        with self._lock:
            self._merge_file()
            return self._generations.get(vault_id, 0)

    def _merge_file(self) -> None:
        if self.state_file is None:
            return
        try:
            with open(self.state_file, "rb") as handle:
                data = handle.read(_MAX_STATE)
            document = json.loads(data)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            raise VaultError(
                f"the rollback state {self.state_file} cannot be read ({error}); "
                "remove it to start afresh"
            ) from None
        generations = document.get("generations") if isinstance(document, dict) else None
        paths = document.get("paths") if isinstance(document, dict) else None
        if not isinstance(generations, dict) or not isinstance(paths, dict):
            raise VaultError(
                f"the rollback state {self.state_file} is malformed; remove it to start afresh"
            )
        for vault_id, generation in generations.items():
            if isinstance(generation, int) and not isinstance(generation, bool):
                self._generations[vault_id] = max(generation, self._generations.get(vault_id, 0))
        for path, vault_id in paths.items():
            if isinstance(vault_id, str):
                # Memory keeps what this process saw itself; the file fills the gaps.
                self._paths.setdefault(path, vault_id)

    def _save(self) -> None:
        if self.state_file is None:
            return
        ensure_private_dir(self.state_file.parent)
        document = {"generations": self._generations, "paths": self._paths}
        temporary = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, sort_keys=True)
            os.replace(temporary, self.state_file)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise VaultError(
                f"cannot write the rollback state {self.state_file}: {error.strerror}"
            ) from None


_shared: dict[str, GenerationLog] = {}
_shared_lock = threading.Lock()


def _lock_path(state_file: Path) -> Path:
    return state_file.with_name(state_file.name + ".lock")


def default_log() -> GenerationLog:
    """The process-wide log of ``$SECRETS_HOME/vault-generations.json``.

    One object per state file and process, so that what the agent saw stays
    in its memory even if the file is edited or deleted.
    """
    from secrets_common.paths import secrets_home

    state = secrets_home() / STATE_NAME
    with _shared_lock:
        log = _shared.get(str(state))
        if log is None:
            log = _shared[str(state)] = GenerationLog(state)
        return log
