"""The unified ``secrets`` command and its error conventions."""

from __future__ import annotations

from tests.cli import run


def test_help_lists_the_groups_of_the_installed_distributions() -> None:
    result = run("secrets", "--help")
    assert result.returncode == 0, result.stderr
    for group in ("ring", "pin", "token"):
        assert group in result.stdout


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    result = run("secrets", "no-such-group")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
