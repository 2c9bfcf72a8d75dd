"""The README's quickstart stays true: CI runs exactly its test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quickstart() -> list[str]:
    """The commands of the README's first code block."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert match is not None, "README.md has no sh code block"
    return [line for line in match.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.index("```sh")
    assert readme[:first_block].count("\n") <= 2, "the quickstart must open the README"
    assert len(quickstart()) == 2


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quickstart()[1] in ci.splitlines()


def test_first_command_uses_the_software_authenticator() -> None:
    assert "SECRETS_AUTHENTICATOR=" in quickstart()[0]
    assert '"soft:' in quickstart()[0]
