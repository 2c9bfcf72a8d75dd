"""``secrets token list`` without typer (and ``secrets`` without importlib.metadata)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fido2.ctap2.base import Ctap2
from fido2.ctap2.pin import ClientPin

from secrets_common.soft import SoftAuthenticator
from tests.cli import run
from tests.tokenring.test_fast_path import imported_modules, without_import_lines

FRAMEWORK = {"typer", "click", "rich", "pydantic"}
FULL_PATH = {"SECRETS_NO_FAST_PATH": "1"}


def both_paths(
    *args: str, env: dict[str, str], mask: Callable[[str], str] = str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``secrets ARGS`` fast and through typer: the same bytes; the fast run and its imports."""
    fast = run("secrets", *args, env={**env, "PYTHONPROFILEIMPORTTIME": "1"})
    full = run("secrets", *args, env={**env, **FULL_PATH})
    modules = imported_modules(fast.stderr)
    fast.stderr = without_import_lines(fast.stderr)
    # ``mask`` hides what may change between two runs (an agent's countdown).
    assert (fast.returncode, mask(fast.stdout), fast.stderr) == (
        full.returncode,
        mask(full.stdout),
        full.stderr,
    )
    return fast, modules


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("as_json", [[], ["--json"]])
def test_token_list_is_the_same_without_typer(tmp_path: Path, as_json: list[str]) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    Ctap2(SoftAuthenticator(first)).get_info()  # made here; reading a made key takes no lock
    ClientPin(Ctap2(SoftAuthenticator(second))).set_pin("4321")
    env = {"SECRETS_AUTHENTICATOR": f"soft:{first},soft:{second}"}
    got, modules = both_paths("token", "list", *as_json, env=env)
    assert got.returncode == 0, got.stderr
    assert str(second) in got.stdout
    assert "fido2" in top_level(modules)  # the keys were really asked
    assert not top_level(modules) & FRAMEWORK
    assert "importlib.metadata" not in modules
    # getInfo and the PIN retries are answered without the handlers of credentials.
    handlers = {"vpcd", "credentials", "make_credential", "get_assertion"}
    assert not modules & {f"secrets_common.soft.{name}" for name in handlers}
    # Each is a third-party or standard module python-fido2 does without;
    # any of them would cost this command a share of its time.
    assert not top_level(modules) & {"filelock", "attr", "attrs", "tempfile", "getpass"}


def test_token_list_of_a_missing_key_file_fails_alike(tmp_path: Path) -> None:
    env = {"SECRETS_AUTHENTICATOR": f"soft:{tmp_path / 'no' / 'such' / 'dir' / 'key.json'}"}
    got, modules = both_paths("token", "list", env=env)
    assert not top_level(modules) & FRAMEWORK
    if got.returncode:
        assert len(got.stderr.splitlines()) <= 2
        assert got.stderr.splitlines()[-1].startswith("error: ")


def test_other_token_commands_take_typer(tmp_path: Path) -> None:
    env = {"SECRETS_AUTHENTICATOR": f"soft:{tmp_path / 'a.json'}"}
    got, modules = both_paths("token", "list", "--bogus", env=env)
    assert got.returncode == 2
    assert "typer" in top_level(modules)
