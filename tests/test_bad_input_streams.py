"""Standard streams that are closed, full or gone: ``secrets token`` and the prompts."""

from __future__ import annotations

import io
import os
import subprocess
import threading
from pathlib import Path

import pytest

from secrets_common.fido.interaction import PlainInteraction, TerminalInteraction
from tests.bad_input import error_line, soft
from tests.cli import script

FAILURE = 1


def run_redirected(redirection: str, *args: str, key: Path) -> subprocess.CompletedProcess[str]:
    """``secrets ARGS`` run by a shell with ``redirection`` applied (``>&-``, ``2>&-``...)."""
    return subprocess.run(
        ["sh", "-c", f'exec "$@" {redirection}', "sh", script("secrets"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **soft(key)},
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", [["token", "list"], ["token", "info", "--json"]])
def test_closed_stdout_is_an_error_not_a_silent_success(tmp_path: Path, command: list[str]) -> None:
    result = run_redirected(">&-", *command, key=tmp_path / "key.json")
    assert error_line(result, FAILURE) == "standard output is closed: nothing could be printed"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_stdout_is_one_error_line(tmp_path: Path) -> None:
    result = run_redirected(">/dev/full", "token", "info", key=tmp_path / "key.json")
    message = error_line(result, FAILURE)
    assert message == "cannot write to standard output: No space left on device"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("command", [["--help"], ["ring", "--help"], ["pin", "--help"]])
def test_full_stdout_is_one_error_line_for_every_group(tmp_path: Path, command: list[str]) -> None:
    result = run_redirected(">/dev/full", *command, key=tmp_path / "key.json")
    assert error_line(result, FAILURE) == "input/output failed (No space left on device)"


def test_closed_stderr_does_not_stop_the_command(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    result = run_redirected("2>&-", "token", "list", key=key)
    assert result.returncode == 0
    assert str(key) in result.stdout


def test_a_prompt_that_cannot_be_shown_does_not_fail_the_touch() -> None:
    closed = io.StringIO()
    closed.close()
    interaction = PlainInteraction(stream=closed)
    interaction.touch_started("read 'x'", 30)
    assert interaction.choose("Which key?", ["a", "b"]) == 0


def test_a_prompt_to_a_reader_that_left_does_not_fail_the_touch() -> None:
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    PlainInteraction(stream=Gone()).touch_started("read 'x'", 30)


def test_a_hung_up_terminal_does_not_break_the_spinner(monkeypatch: pytest.MonkeyPatch) -> None:
    class HungUp(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(5, "Input/output error")

        def isatty(self) -> bool:
            return True

    thread_errors: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", thread_errors.append)
    interaction = TerminalInteraction(stream=HungUp(), clock=lambda: 0.0)
    interaction.touch_started("read 'x'", 30)
    interaction.touch_ended()
    assert thread_errors == []
