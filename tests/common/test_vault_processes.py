"""Real processes against one vault: concurrent writers, and writers killed mid-write."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secrets_common.vault import NewRecoverySlot, Opener, Vault
from tests.common.vault_strategies import CHEAP_SCRYPT

# A writer: opens the vault with the recovery code, writes entries
# <prefix>-<first>, <prefix>-<first+1>, ... (forever when count is 0) and
# prints each index once its write has returned.
WRITER = """
import itertools, sys
from pathlib import Path
from secrets_common.vault import Opener, Vault
path, code, prefix, first, count = sys.argv[1:6]
vault = Vault.open(Path(path), lock_timeout=60)
vault.unlock(Opener(recovery_code=code), reason="test")
first, count = int(first), int(count)
indexes = itertools.count(first) if count == 0 else range(first, first + count)
for i in indexes:
    vault.write(f"{prefix}-{i}", f"{prefix}:{i}:".encode() * 20)
    print(i, flush=True)
"""

DEADLINE = 60.0


def expected(prefix: str, index: int) -> bytes:
    return f"{prefix}:{index}:".encode() * 20


def start_writer(
    path: Path, code: str, prefix: str, first: int, count: int
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), code, prefix, str(first), str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


class Lines:
    """Lines of a child's stdout, read with a bounded wait (never a bare sleep)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        if process.stdout is None:
            raise ValueError("the process has no stdout pipe")
        self._fd = process.stdout.fileno()
        self._buffer = b""

    def next(self, deadline: float) -> int | None:
        """The next printed index; None at end of output."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the writer printed nothing in time")
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._fd, 4096)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return int(line)

    def rest(self, deadline: float) -> list[int]:
        found = []
        while (index := self.next(deadline)) is not None:
            found.append(index)
        return found


@pytest.fixture
def vault_and_code(tmp_path: Path) -> tuple[Vault, str]:
    vault, code = Vault.create(
        tmp_path / "vaults" / "shared.vault",
        NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    assert code is not None
    return vault, code


def test_concurrent_writers_lose_nothing(vault_and_code: tuple[Vault, str]) -> None:
    vault, code = vault_and_code
    writers = {
        prefix: start_writer(vault.path, code, prefix, 0, 12) for prefix in ("a", "b", "c", "d")
    }
    for prefix, process in writers.items():
        _, stderr = process.communicate(timeout=DEADLINE)
        assert process.returncode == 0, (prefix, stderr.decode())
    opener = Opener(recovery_code=code)
    reopened = Vault.open(vault.path).unlock(opener, reason="test")
    names = reopened.names()
    assert names == sorted(f"{prefix}-{i}" for prefix in writers for i in range(12))
    for name in ("a-0", "b-11", "d-5"):
        prefix, index = name.split("-")
        assert reopened.read(name, opener, reason="test") == expected(prefix, int(index))
    assert vault.names() == names


def test_killed_writer_leaves_a_whole_vault(vault_and_code: tuple[Vault, str]) -> None:
    vault, code = vault_and_code
    # Enough entries that each write takes a while: more moments to be killed in.
    vault.write_many({f"filler-{i}": bytes(200) for i in range(3000)})
    chooser = random.Random(0x5EC7)  # noqa: S311 -- kill timings, not secrets
    completed: list[int] = []
    seen = {f"filler-{i}" for i in range(3000)}
    first = 0
    for _ in range(6):
        process = start_writer(vault.path, code, "k", first, 0)
        lines = Lines(process)
        deadline = time.monotonic() + DEADLINE
        for _ in range(chooser.randrange(0, 4)):
            index = lines.next(deadline)
            assert index is not None, process.stderr.read().decode() if process.stderr else ""
            completed.append(index)
        time.sleep(chooser.uniform(0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=DEADLINE)
        completed.extend(lines.rest(deadline))
        if process.stderr is not None:
            process.stderr.close()
        if process.stdout is not None:
            process.stdout.close()
        first = (max(completed) + 1 if completed else first) + 1000

        opener = Opener(recovery_code=code)
        reopened = Vault.open(vault.path).unlock(opener, reason="test")
        names = set(reopened.names())
        assert {f"k-{i}" for i in completed} <= names
        for index in completed[-3:]:
            assert reopened.read(f"k-{index}", opener, reason="test") == expected("k", index)
        # Anything new but unreported is the one write that finished before
        # the kill landed on its print.
        extra = names - seen - {f"k-{i}" for i in completed}
        assert len(extra) <= 1
        seen = names
    assert completed, "no write completed in any round"
    vault.write("after", b"the kills")
    leftovers = [p.name for p in vault.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
