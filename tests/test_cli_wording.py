"""What every console script says: versions, hints in the invoked name, plain help."""

from __future__ import annotations

import os
from importlib.metadata import version

import pytest

from secrets_common.cli import invocation
from tests.cli import run


@pytest.mark.parametrize("script", ["tokenring", "pinpal"])
def test_each_tool_answers_version(script: str) -> None:
    result = run(script, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{script} {version(script)}\n"
    # Also after other options, through the full command line.
    later = run("secrets", "ring" if script == "tokenring" else "pin", "--version")
    assert later.stdout == f"{script} {version(script)}\n"


@pytest.mark.parametrize(
    ("prog", "hint"),
    [(["tokenring"], "`tokenring init`"), (["secrets", "ring"], "`secrets ring init`")],
)
def test_a_missing_vault_names_init_as_invoked(prog: list[str], hint: str) -> None:
    result = run(prog[0], *prog[1:], "slots")
    assert result.returncode != 0
    assert result.stderr.rstrip().endswith(f"create one with {hint}"), result.stderr


def test_hints_quote_a_label_for_the_shell() -> None:
    invocation.record("pinpal", "secrets pin")
    try:
        assert invocation.command("pinpal", "rotate", "password manager") == (
            "secrets pin rotate 'password manager'"
        )
        assert invocation.command("pinpal", "drop", "mail") == "secrets pin drop mail"
    finally:
        invocation.record("pinpal", "pinpal")


@pytest.mark.parametrize("bare", [["secrets"], ["secrets", "ring"], ["secrets", "token"]])
def test_a_bare_group_prints_help_and_exits_with_the_usage_status(bare: list[str]) -> None:
    result = run(bare[0], *bare[1:])
    assert result.returncode == 2
    assert result.stdout.startswith(f"Usage: {' '.join(bare)} [OPTIONS] COMMAND")
    assert "Commands:" in result.stdout
    assert result.stderr == ""


def test_help_names_arguments_plainly_and_flags_without_types() -> None:
    helped = run("tokenring", "set", "--help", env={"COLUMNS": "60"})
    assert "Usage: tokenring set [OPTIONS] SERVICE USER\n" in helped.stdout
    for noise in ("{", "<bool>", "<str>", "<path>", "…", "╭"):
        assert noise not in helped.stdout
    # Long defaults wrap rather than being cut off.
    joined = " ".join(run("tokenring", "init", "--help", env={"COLUMNS": "80"}).stdout.split())
    assert "$SECRETS_HOME/tokenring/vault" in joined
    agent = run("tokenring", "agent", "--help", env={"COLUMNS": "80"}).stdout
    assert "--detach " in agent
    assert "--idle-timeout SECONDS" in agent


def test_command_summaries_are_never_cut() -> None:
    listed = run("tokenring", "--help", env={"COLUMNS": "60"}).stdout
    assert not [line for line in listed.splitlines()[1:] if line.endswith("...")], listed
    assert "every read still needs a touch" in " ".join(listed.split())


def test_token_list_help_explains_mc() -> None:
    helped = " ".join(run("secrets", "token", "list", "--help").stdout.split())
    assert '"yes (+mc)"' in helped
    assert "one touch instead of two" in helped


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_debug_variable_words_for_on(value: str) -> None:
    result = run("secrets", "ring", "slots", "--vault", os.devnull, env={"SECRETS_DEBUG": value})
    assert "Traceback" in result.stderr


@pytest.mark.parametrize("value", ["0", "false", "No", ""])
def test_debug_variable_words_for_off(value: str) -> None:
    result = run("secrets", "ring", "slots", "--vault", os.devnull, env={"SECRETS_DEBUG": value})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")


def test_a_debug_variable_of_another_word_is_a_usage_error() -> None:
    result = run("tokenring", "slots", env={"SECRETS_DEBUG": "maybe"})
    assert result.returncode == 2
    assert result.stderr == (
        "error: SECRETS_DEBUG must be 1, true or yes (or 0, false, no), not 'maybe'\n"
    )


def _top_level_imports(script: str, *args: str) -> set[str]:
    from tests.tokenring.test_fast_path import imported_modules

    result = run(script, *args, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr
    return {name.split(".")[0] for name in imported_modules(result.stderr)}


@pytest.mark.parametrize("script", ["tokenring", "pinpal"])
def test_version_imports_no_cli_framework(script: str) -> None:
    assert not _top_level_imports(script, "--version") & {"typer", "rich", "pydantic", "attrs"}


def test_help_imports_neither_rich_nor_pydantic_nor_the_vault() -> None:
    modules = _top_level_imports("tokenring", "--help")
    assert not modules & {"rich", "pydantic", "cryptography", "keyring", "fido2", "attrs"}
