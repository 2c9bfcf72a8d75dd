"""The terminal boundary in-process: spinner frames, piped answers, confirmations."""

from __future__ import annotations

import io

import pytest

from pinpal.cli.terminal import NoAnswerError, Spinner, TerminalConsole
from pinpal.learning.kdf import ScryptParams, calibrate
from secrets_common.errors import UsageError


def test_the_spinner_animates_calibration_and_then_clears_its_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spinner = Spinner()
    spinner.active = True  # as on a terminal; capsys is not one
    elapsed = [0.0]

    def trial(params: ScryptParams) -> None:
        elapsed[0] += params.n / 2**20  # 2**17 takes 0.125 s: the closest to 0.1 s

    chosen = calibrate(clock=lambda: elapsed[0], tick=spinner.tick, trial=trial)
    spinner.done()
    assert chosen == ScryptParams(n=1 << 17)
    shown = capsys.readouterr().err
    frames = [part for part in shown.split("\r") if part.strip()]
    # Two trials for each of 2**14 .. 2**17, a frame after each.
    assert [frame[-1] for frame in frames] == list("|/-\\|/-\\")
    assert shown.endswith("\r" + " " * (len(Spinner.TEXT) + 2) + "\r")


def test_off_a_terminal_the_spinner_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    spinner = Spinner()
    spinner.tick()
    spinner.done()
    assert capsys.readouterr().err == ""


def test_piped_answers_are_read_a_line_each(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("first one\nsecond\n"))
    console = TerminalConsole()
    assert console.ask_secret("a> ") == "first one"
    assert console.ask_secret("b> ") == "second"
    with pytest.raises(NoAnswerError, match="end of input"):
        console.ask_secret("c> ")
    assert capsys.readouterr().err == "a> b> c> \n"


def test_confirmation_is_no_unless_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\nYES\n\nn\nsure\n"))
    console = TerminalConsole()
    assert [console.confirm("drop?") for _ in range(5)] == [True, True, False, False, False]
    with pytest.raises(UsageError, match="end of input"):
        console.confirm("drop?")
