"""Ctrl-C while a command waits for the security key: exit 130, no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import filelock
import pytest
from fido2.ctap2.base import Ctap2

from secrets_common.soft import SoftAuthenticator
from tests.bad_input import error_line, soft
from tests.cli import script

INTERRUPTED = 130


def interrupted_while_waiting(key: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``secrets ARGS`` while the key is busy, and press Ctrl-C once it waits."""
    Ctap2(SoftAuthenticator(key))
    busy = filelock.FileLock(str(key) + ".lock")
    with busy:
        process = subprocess.Popen(
            [script("secrets"), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **soft(key)},
        )
        assert process.stderr is not None
        # The software-key warning comes just before the key is asked (and waits).
        first = process.stderr.readline()
        assert first.startswith("warning: using the software authenticator"), first
        process.send_signal(signal.SIGINT)
        out, rest = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, first + rest)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_while_the_key_is_busy_exits_130_without_a_traceback(tmp_path: Path) -> None:
    result = interrupted_while_waiting(tmp_path / "key.json", "token", "list")
    assert result.returncode == INTERRUPTED
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_says_interrupted_on_one_line(tmp_path: Path) -> None:
    result = interrupted_while_waiting(tmp_path / "key.json", "token", "list")
    assert error_line(result, INTERRUPTED) == "interrupted"
