"""The prompts: plain lines for pipes, a live spinner and no-echo PIN for terminals."""

from __future__ import annotations

import io

import pytest

from secrets_common.fido.interaction import (
    PlainInteraction,
    TerminalInteraction,
    default_interaction,
    touch_prompt,
)

REASON = "read 'pypi' / '__token__'"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_prompt_says_what_the_touch_is_for() -> None:
    assert touch_prompt(REASON) == "Touch your security key to read 'pypi' / '__token__'"


def test_with_several_keys_the_prompt_names_the_one_to_touch() -> None:
    key = "YubiKey 5 NFC (/dev/hidraw3)"
    assert touch_prompt(REASON, key) == (
        "Touch your security key YubiKey 5 NFC (/dev/hidraw3) to read 'pypi' / '__token__'"
    )
    stream = io.StringIO()
    PlainInteraction(stream).touch_started(REASON, 30, authenticator=key)
    assert stream.getvalue() == f"{touch_prompt(REASON, key)} (waiting up to 30 s)\n"
    terminal_stream = io.StringIO()
    terminal = TerminalInteraction(stream=terminal_stream, clock=FakeClock())
    terminal.touch_started(REASON, 30, authenticator=key)
    terminal.touch_ended()
    assert f"{touch_prompt(REASON, key)} (30 s)" in terminal_stream.getvalue()


def test_plain_interaction_writes_one_line_and_never_reads() -> None:
    stream = io.StringIO()
    plain = PlainInteraction(stream)
    plain.touch_started(REASON, 30)
    plain.touch_ended()
    assert stream.getvalue() == f"{touch_prompt(REASON)} (waiting up to 30 s)\n"
    assert plain.ask_pin("key", REASON) is None
    assert plain.choose("Which key?", ["a", "b"]) == 0
    assert stream.getvalue().splitlines()[-1] == "Which key? Using the first: a"


def test_the_terminal_spinner_counts_down_and_clears_its_line() -> None:
    stream = io.StringIO()
    clock = FakeClock()
    terminal = TerminalInteraction(stream=stream, clock=clock)
    terminal.touch_started(REASON, 30)
    clock.now += 12
    terminal.touch_ended()
    output = stream.getvalue()
    assert f"{touch_prompt(REASON)} (" in output
    assert output.endswith("\r\x1b[K")
    shown = [int(part.split(" s)")[0]) for part in output.split("(")[1:]]
    assert shown[0] in (30, 18)
    assert all(0 <= left <= 30 for left in shown)
    assert "\n" not in output  # the spinner never scrolls the terminal


def test_the_terminal_asks_the_pin_without_echo_through_its_reader() -> None:
    prompts: list[str] = []

    def read_pin(prompt: str) -> str:
        prompts.append(prompt)
        return "1234"

    terminal = TerminalInteraction(stream=io.StringIO(), read_pin=read_pin)
    assert terminal.ask_pin("YubiKey 5 (/dev/hidraw0)", REASON) == "1234"
    assert prompts == [f"PIN of YubiKey 5 (/dev/hidraw0) (to {REASON}): "]


@pytest.mark.parametrize("answer", ["", EOFError()])
def test_no_pin_typed_is_no_pin(answer: str | EOFError) -> None:
    def read_pin(prompt: str) -> str:
        del prompt
        if isinstance(answer, EOFError):
            raise answer
        return answer

    assert TerminalInteraction(stream=io.StringIO(), read_pin=read_pin).ask_pin("k", REASON) is None


def test_the_terminal_chooser_insists_on_a_valid_number() -> None:
    answers = iter(["x", "3", " 2 "])
    stream = io.StringIO()
    terminal = TerminalInteraction(stream=stream, read_line=lambda _prompt: next(answers))
    assert terminal.choose("Which key?", ["first", "second"]) == 1
    assert "  2. second" in stream.getvalue()
    assert stream.getvalue().count("Please type a number from 1 to 2.") == 2


def test_a_stream_that_is_not_a_terminal_gets_plain_lines() -> None:
    assert isinstance(default_interaction(io.StringIO()), PlainInteraction)
