"""The unified ``secrets`` command and its error conventions."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from secrets_common.cli.main import GROUP, installed_groups, load_group
from secrets_common.cli.running import split_debug
from tests.cli import run


def test_help_lists_the_groups_of_the_installed_distributions() -> None:
    result = run("secrets", "--help")
    assert result.returncode == 0, result.stderr
    for group in installed_groups():
        assert group in result.stdout
    assert set(installed_groups()) == {"ring", "pin", "token"}


@pytest.mark.parametrize(("script", "group"), [("tokenring", "ring"), ("pinpal", "pin")])
def test_each_tool_script_is_the_same_group_as_secrets(script: str, group: str) -> None:
    direct = run(script, "--help")
    via_secrets = run("secrets", group, "--help")
    assert direct.returncode == via_secrets.returncode == 0
    # Rich pads help boxes to the program name's width; compare the words.
    assert direct.stdout.replace(script, "X").split() == (
        via_secrets.stdout.replace(f"secrets {group}", "X").split()
    )


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    result = run("secrets", "no-such-group")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_version_is_the_release_version() -> None:
    from importlib.metadata import version

    result = run("secrets", "--version")
    assert result.returncode == 0
    assert result.stdout.split() == ["secrets", version("secrets-common")]


def test_a_broken_plugin_is_reported_and_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    broken = EntryPoint(name="broken", value="no_such_module_for_secrets_tests", group=GROUP)
    assert load_group(broken) is None
    err = capsys.readouterr().err
    assert err.startswith("error: cannot load command group 'broken'")
    assert len(err.splitlines()) == 1


def test_a_plugin_that_is_not_a_command_module_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = EntryPoint(name="wrong", value="json:dumps", group=GROUP)
    assert load_group(wrong) is None
    assert "is not a command module" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "debug", "rest"),
    [
        (["ring", "get"], False, ["ring", "get"]),
        (["--debug", "ring", "get"], True, ["ring", "get"]),
        (["ring", "--debug", "get"], True, ["ring", "get"]),
        (["ring", "--", "--debug"], False, ["ring", "--", "--debug"]),
    ],
)
def test_debug_flag_is_taken_before_double_dash(
    argv: list[str], debug: bool, rest: list[str]
) -> None:
    assert split_debug(argv) == (debug, rest)


def test_debug_variable_turns_debug_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRETS_DEBUG", "1")
    assert split_debug(["x"]) == (True, ["x"])
