"""The README's quickstart stays true: CI runs exactly its test command."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_quickstart_demo_runs_twice(tmp_path: Path) -> None:
    """The first command's demo part, verbatim, twice in one directory: the vault is kept."""
    install, demo = quickstart()[0].split(" && env ", 1)
    assert "pip install" in install
    # The packages are installed already: let `.venv` be this interpreter's environment.
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent, target_is_directory=True)
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("SECRETS_", "TOKENRING_"))
    }
    vault = tmp_path / ".demo" / "tokenring" / "vault"
    vault_ids = []
    for run in range(2):
        ran = subprocess.run(
            ["sh", "-c", f"env {demo}"],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.splitlines()[-1] == "pypi-demo-token"
        assert ("already exists" in ran.stderr) == (run == 1), ran.stderr
        found = re.search(rb'"vault_id":"([0-9a-f]+)"', vault.read_bytes())
        assert found is not None
        vault_ids.append(found.group(1))
    assert vault_ids[0] == vault_ids[1]


def test_pipx_instructions_agree_everywhere() -> None:
    """Every `pipx inject` in the docs puts the injected package's commands on PATH too."""
    pages = [ROOT / "README.md", *ROOT.glob("packages/*/README.md"), *ROOT.glob("docs/**/*.md")]
    injects = []
    for page in pages:
        text = " ".join(page.read_text(encoding="utf-8").split())
        injects += [(page.name, m.group(0)) for m in re.finditer(r"pipx inject( \S+){3}", text)]
    assert injects
    for name, command in injects:
        assert command.startswith("pipx inject --include-apps twine "), (name, command)


def test_nox_finds_every_pyenv_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`nox -s tests` alone sees each pyenv 3.11-3.13 (the newest patch of each), shims or not."""
    nox = pytest.importorskip("nox")
    assert nox
    root = tmp_path / "pyenv"
    for version, binary in [
        ("3.10.13", "python3.10"),
        ("3.11.2", "python3.11"),
        ("3.11.10", "python3.11"),
        ("3.12.1", None),
        ("3.13.0", "python3.13"),
        ("3.13.0t", "python3.13t"),
        ("pypy3.11-7.3.19", "python3.11"),
    ]:
        bindir = root / "versions" / version / "bin"
        bindir.mkdir(parents=True)
        if binary is not None:
            (bindir / binary).touch()
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("PATH", "/somewhere/else")
    runpy.run_path(str(ROOT / "noxfile.py"))
    assert os.environ["PATH"].split(os.pathsep) == [
        str(root / "versions" / "3.11.10" / "bin"),
        str(root / "versions" / "3.13.0" / "bin"),
        "/somewhere/else",
    ]
