"""Shell completion: the scripts the three tools print, run by a real bash."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli import run, script

BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")


def _bash(command: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``command`` in a bash without start-up files, the tools first on its PATH."""
    assert BASH is not None
    path = os.pathsep.join([str(Path(script("secrets")).parent), os.environ.get("PATH", "")])
    return subprocess.run(
        [BASH, "--norc", "--noprofile", "-c", command, "bash", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path, "HOME": str(tmp_path)},
        timeout=60,
        check=False,
    )


@needs_bash
@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["secrets", "ri"], "ring"),
        (["secrets", "ring", "sl"], "slots"),
        (["tokenring", "enr"], "enroll"),
        (["pinpal", "dri"], "drill"),
    ],
)
def test_the_bash_completion_script_completes_a_subcommand(
    words: list[str], expected: str, tmp_path: Path
) -> None:
    tool = words[0]
    # As the README says: `--show-completion` in the shell that will use it.
    shown = _bash(f"{tool} --show-completion", tmp_path)
    assert shown.returncode == 0, shown.stderr
    completion = tmp_path / f"{tool}.bash"
    completion.write_text(shown.stdout)
    assert f"complete -o default -F _{tool}_completion {tool}" in shown.stdout

    completed = _bash(
        'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));'
        f' _{tool}_completion {tool}; printf "%s\\n" "${{COMPREPLY[@]}}"',
        tmp_path,
        str(completion),
        *words,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [expected], completed.stdout


@pytest.mark.parametrize("tool", ["secrets", "tokenring", "pinpal"])
@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o default -F _{tool}_completion {tool}"),
        ("zsh", "#compdef {tool}"),
        ("fish", "complete --command {tool}"),
    ],
)
def test_each_tool_prints_its_script_for_bash_zsh_and_fish(
    tool: str, shell: str, marker: str
) -> None:
    variable = f"_{tool.upper()}_COMPLETE"
    printed = run(tool, env={variable: f"source_{shell}"})
    assert printed.returncode == 0, printed.stderr
    assert marker.format(tool=tool) in printed.stdout
    assert f"{variable}=complete_{shell}" in printed.stdout
