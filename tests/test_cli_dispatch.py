"""The unified ``secrets`` command and its error conventions."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest
import typer

from secrets_common.cli import running
from secrets_common.cli.main import GROUP, installed_groups, load_group
from secrets_common.cli.running import split_debug
from secrets_common.errors import VaultLockedError
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


def test_usage_errors_are_one_line_naming_the_help() -> None:
    result = run("secrets", "ring", "get")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: Missing argument 'SERVICE'. (see 'secrets ring get --help')"
    ]


def test_a_bare_group_prints_its_help_and_no_error() -> None:
    result = run("secrets", "token")
    assert result.returncode == 2
    assert "list" in result.stdout
    assert result.stderr == ""


def _app_failing_with(error: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def fail() -> None:
        raise error

    return app


def test_a_bug_is_one_line_that_does_not_quote_its_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = running.run(lambda: _app_failing_with(ValueError("hunter2")), [], "prog")
    assert status == running.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err == "error: unexpected ValueError (a bug: run with --debug for details)\n"


def test_debug_shows_the_bug_itself() -> None:
    with pytest.raises(ValueError, match="hunter2"):
        running.run(lambda: _app_failing_with(ValueError("hunter2")), ["--debug"], "prog")


def test_a_toolkit_error_is_its_message_and_status(capsys: pytest.CaptureFixture[str]) -> None:
    status = running.run(lambda: _app_failing_with(VaultLockedError("busy vault")), [], "prog")
    assert status == VaultLockedError.exit_code
    assert capsys.readouterr().err == "error: busy vault\n"
