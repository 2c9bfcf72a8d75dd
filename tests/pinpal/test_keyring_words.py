"""When the keyring cannot serve, `pinpal` says why in this system's terms, in one line.

Real `pinpal` processes with real keyring backends: none at all, a plaintext
file, a locked collection, a vault copied without its key, TokenRing without
a vault of its own.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import run, script
from tests.pinpal.helpers import seed

REPOSITORY = Path(__file__).resolve().parents[2]


def error_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_plaintext_keyring_is_refused_with_the_reason(env: dict[str, str]) -> None:
    refusing = {**env, "PINPAL_ALLOW_PLAINTEXT_KEYRING": "0"}
    result = run("pinpal", "new", "mail", "--digits", "4", input="", env=refusing)
    line = error_line(result, 4)
    assert "keyrings.alt.file.PlaintextKeyring keeps secrets unencrypted in a file" in line
    assert "PINPal's vault key would sit in plain sight" in line
    assert "PINPAL_ALLOW_PLAINTEXT_KEYRING=1 allows it" in line
    assert "your new secret" not in result.stdout
    assert not (Path(env["SECRETS_HOME"]) / "pinpal" / "vault").exists()
    assert not (Path(env["XDG_DATA_HOME"]) / "python_keyring").exists()
    # The opt-in: the same command stores.
    allowed = run("pinpal", "new", "mail", "--existing", input="a b\na b\n", env=env)
    assert allowed.returncode == 0, allowed.stderr


def test_a_locked_keyring_says_how_to_unlock_it(env: dict[str, str]) -> None:
    locked = {
        **env,
        "PYTHON_KEYRING_BACKEND": "tests.pinpal.backends.locked.LockedKeyring",
        "PYTHONPATH": str(REPOSITORY),
    }
    result = run("pinpal", "new", "mail", "--digits", "4", input="", env=locked)
    line = error_line(result, 4)
    assert line.startswith("error: the keyring is locked: unlock it")
    assert "seahorse" in line
    assert "then try again" in line
    assert not (Path(env["SECRETS_HOME"]) / "pinpal" / "vault").exists()


def test_a_vault_copied_to_another_machine_says_its_key_stayed_behind(
    env: dict[str, str], tmp_path: Path
) -> None:
    seed(env, "mail")
    elsewhere = tmp_path / "other-machine"
    (elsewhere / "home" / "pinpal").mkdir(parents=True, mode=0o700)
    vault = Path(env["SECRETS_HOME"]) / "pinpal" / "vault"
    shutil.copy(vault, elsewhere / "home" / "pinpal" / "vault")
    moved = {**env, "SECRETS_HOME": str(elsewhere / "home"), "XDG_DATA_HOME": str(elsewhere)}
    line = error_line(run("pinpal", "list", env=moved), 4)
    assert "the keyring holds no secret" in line
    assert "if this vault came from another machine, its key stayed behind" in line
    assert "that machine's keyring" in line


def test_tokenring_without_a_vault_says_to_create_one_as_invoked(
    env: dict[str, str], tmp_path: Path
) -> None:
    ring = {
        **env,
        "SECRETS_AUTHENTICATOR": f"soft:{tmp_path / 'key.json'}",
        "PYTHON_KEYRING_BACKEND": "tokenring.backend.TokenRingKeyring",
    }
    for invoked, hint in (
        (("pinpal",), "tokenring init"),
        (("secrets", "pin"), "secrets ring init"),
    ):
        result = run(*invoked, "new", "mail", "--digits", "4", input="", env=ring)
        line = error_line(result, 1)
        assert line.startswith("error: no TokenRing vault at "), line
        assert line.endswith(f"create one with `{hint}`")
        assert "OS keyring" not in result.stderr


def test_keyrings_own_choice_of_a_plaintext_file_is_refused_too(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No variable names a backend: keyring itself falls back to keyrings.alt's
    # file where no Secret Service runs (and TokenRing is switched off).
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("TOKENRING_DISABLE", "1")
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    chooser = [sys.executable, "-c", "import keyring; print(type(keyring.get_keyring()).__name__)"]
    chosen = subprocess.run(chooser, capture_output=True, text=True, check=True).stdout.strip()
    if chosen != "PlaintextKeyring":
        pytest.skip(f"keyring chooses {chosen} on this machine")
    unset = {k: v for k, v in env.items() if k != "PYTHON_KEYRING_BACKEND"}
    refusing = {**unset, "TOKENRING_DISABLE": "1", "PINPAL_ALLOW_PLAINTEXT_KEYRING": "0"}
    result = subprocess.run(
        [script("pinpal"), "list"], capture_output=True, text=True, env=refusing, check=False
    )
    assert "keeps secrets unencrypted in a file" in error_line(result, 4)
