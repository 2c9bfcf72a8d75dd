"""``pinpal list`` and ``secrets pin list`` without typer: the same bytes, fewer imports."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.cli import run
from tests.pinpal.helpers import keyring_file, seed
from tests.tokenring.test_fast_path import imported_modules, without_import_lines

FRAMEWORK = {"typer", "click", "rich", "pydantic"}
FULL_PATH = {"SECRETS_NO_FAST_PATH": "1"}


def both_paths(
    script: str, *args: str, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    fast = run(script, *args, env={**env, "PYTHONPROFILEIMPORTTIME": "1"})
    full = run(script, *args, env={**env, **FULL_PATH})
    modules = imported_modules(fast.stderr)
    fast.stderr = without_import_lines(fast.stderr)
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        full.returncode,
        full.stdout,
        full.stderr,
    )
    return fast, modules


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("command", [["pinpal"], ["secrets", "pin"]])
@pytest.mark.parametrize("as_json", [[], ["--json"]])
def test_list_is_the_same_without_typer(
    env: dict[str, str], command: list[str], as_json: list[str]
) -> None:
    seed(env, "mail")
    seed(env, "phone", digits=6)
    got, modules = both_paths(*command, "list", *as_json, env=env)
    assert got.returncode == 0, got.stderr
    assert "mail" in got.stdout
    assert "phone" in got.stdout
    assert "pinpal.cli.listing" in modules
    assert not top_level(modules) & FRAMEWORK
    assert "pinpal.cli.app" not in modules


def test_list_of_nothing_is_the_same(env: dict[str, str]) -> None:
    got, modules = both_paths("secrets", "pin", "list", env=env)
    assert (got.returncode, got.stdout) == (
        0,
        "no secrets yet: `secrets pin new LABEL` starts one.\n",
    )
    assert not top_level(modules) & FRAMEWORK


def test_a_lost_keyring_key_fails_alike(env: dict[str, str]) -> None:
    seed(env, "mail")
    keyring_file(env).unlink()
    got, modules = both_paths("pinpal", "list", env=env)
    assert got.returncode == 4
    [line] = got.stderr.splitlines()
    assert line.startswith("error: ")
    assert "`pinpal " in line
    assert not top_level(modules) & FRAMEWORK


@pytest.mark.parametrize(
    ("args", "status"), [(["list", "--bogus"], 2), (["--now", "nan", "list"], 2)]
)
def test_other_shapes_take_typer(env: dict[str, str], args: list[str], status: int) -> None:
    got, modules = both_paths("pinpal", *args, env=env)
    assert got.returncode == status
    assert "typer" in top_level(modules)


def test_an_unloadable_keyring_backend_fails_alike(env: dict[str, str]) -> None:
    bad = {**env, "PYTHON_KEYRING_BACKEND": "no.such.Backend"}
    got, _modules = both_paths("pinpal", "list", env=bad)
    assert got.returncode == 2
    assert len(got.stderr.splitlines()) == 1
    assert os.environ.get("SECRETS_NO_FAST_PATH") is None
