"""Standard streams that are closed, full or gone: ``secrets token`` and the prompts."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

from secrets_common.fido.interaction import PlainInteraction
from tests.bad_input import soft
from tests.cli import script


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
