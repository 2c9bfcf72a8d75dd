"""`pinpal check` and `pinpal shell-init`: behaviour, not timing."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from pinpal.cli import quickcheck
from pinpal.cli.shellinit import snippet
from pinpal.storage.duefile import write_due
from secrets_common.errors import UsageError
from secrets_common.paths import secrets_home
from tests.cli import run

PAST, FUTURE = 1_000, 9_999_999_999


def due_dir(home: Path) -> Path:
    return home / "pinpal"


@pytest.mark.parametrize(
    "environ",
    [
        {"SECRETS_HOME": "/x/y"},
        {"SECRETS_HOME": "~/z"},
        {"XDG_DATA_HOME": "/data"},
        {"XDG_DATA_HOME": "  "},
        {},
    ],
)
def test_the_check_path_finds_the_same_home_as_the_toolkit(environ: dict[str, str]) -> None:
    assert Path(quickcheck.secrets_home(environ)) == secrets_home(environ)


def test_marker_only_when_due(isolated_environment: Path) -> None:
    write_due(due_dir(isolated_environment), 500)
    out = io.StringIO()
    assert quickcheck.check(now=499, out=out) == 0
    assert out.getvalue() == ""
    assert quickcheck.check(now=500, out=out) == 0
    assert out.getvalue() == "[pin]\n"


def test_marker_is_configurable(isolated_environment: Path) -> None:
    write_due(due_dir(isolated_environment), 1)
    out = io.StringIO()
    quickcheck.check({**os.environ, "PINPAL_MARKER": "🔑"}, now=5, out=out)
    assert out.getvalue() == "🔑\n"


@pytest.mark.parametrize("content", [None, b"", b"garbage\n", b"\xff\xfe", b"12" * 100])
def test_check_is_silent_and_exits_0_on_missing_or_garbage(
    isolated_environment: Path, content: bytes | None
) -> None:
    if content is not None:
        due_dir(isolated_environment).mkdir(parents=True)
        (due_dir(isolated_environment) / "due").write_bytes(content)
    result = run("pinpal", "check")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_check_as_a_process_prints_the_marker(isolated_environment: Path) -> None:
    write_due(due_dir(isolated_environment), PAST)
    assert run("pinpal", "check").stdout == "[pin]\n"
    write_due(due_dir(isolated_environment), FUTURE)
    assert run("pinpal", "check").stdout == ""
    assert run("pinpal", "--now", str(FUTURE + 1), "check").stdout == "[pin]\n"


def test_check_imports_nothing_heavy(isolated_environment: Path) -> None:
    write_due(due_dir(isolated_environment), PAST)
    probe = (
        "import sys, io\n"
        "from pinpal.__main__ import main\n"
        "sys.stdout = io.StringIO()\n"
        "main(['check'])\n"
        "out = sys.stdout.getvalue()\n"
        "sys.stdout = sys.__stdout__\n"
        "import json\n"
        "print(json.dumps([out, sorted(sys.modules)]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    out, modules = json.loads(result.stdout)
    assert out == "[pin]\n"
    heavy = {"typer", "click", "keyring", "cryptography", "attrs", "attr", "platformdirs"}
    assert not {m.split(".")[0] for m in modules} & heavy
    # Only the light core package and its stdlib-only home module.
    assert {m for m in modules if m.split(".")[0] == "secrets_common"} <= {
        "secrets_common",
        "secrets_common.home",
    }
    assert "typing" not in modules


def test_write_due_is_atomic_and_private(isolated_environment: Path) -> None:
    target = write_due(due_dir(isolated_environment), 1234.2)
    assert target.read_text() == "1235\n"
    assert target.stat().st_mode & 0o777 == 0o600
    assert due_dir(isolated_environment).stat().st_mode & 0o777 == 0o700
    assert [p.name for p in due_dir(isolated_environment).iterdir()] == ["due"]
    write_due(due_dir(isolated_environment), None)
    assert not target.exists()


def test_unknown_shell_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="bash, zsh, fish"):
        snippet("tcsh", "/x")
    result = run("pinpal", "shell-init", "tcsh")
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown shell")


# Each runs the snippet's prompt hook with PATH pointing nowhere: any external
# command (a process per prompt) would fail with "command not found".
SHELLS = {
    "bash": (
        ["bash", "--norc", "--noprofile", "-c"],
        'PS1="$ "; {src}; PATH=/nonexistent; __pinpal_prompt; printf "<%s>" "$__pinpal_marker"',
    ),
    "zsh": (
        ["zsh", "-f", "-c"],
        '{src}; PATH=/nonexistent; __pinpal_prompt; printf "<%s>" "$__pinpal_marker"',
    ),
    "fish": (
        ["fish", "--no-config", "-c"],
        '{src}; set PATH /nonexistent; printf "<%s>" (__pinpal_marker)',
    ),
}


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_shell_snippets_show_the_marker_only_when_due(
    shell: str, isolated_environment: Path, tmp_path: Path
) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    # The snippet as `pinpal shell-init` prints it (that command is run by the
    # tests below); SECRETS_HOME, set at prompt time, overrides its default.
    snippet_file = tmp_path / f"init.{shell}"
    snippet_file.write_text(snippet(shell, "/nonexistent"))
    argv, body = SHELLS[shell]
    code = body.format(src=f"source {snippet_file}")
    env = {**os.environ, "SECRETS_HOME": str(isolated_environment)}

    def marker() -> str:
        result = subprocess.run(
            [*argv, code], capture_output=True, text=True, env=env, timeout=30, check=False
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        return result.stdout

    assert marker() == "<>"  # no due file yet
    write_due(due_dir(isolated_environment), PAST)
    assert marker() == "<[pin] >"
    write_due(due_dir(isolated_environment), FUTURE)
    assert marker() == "<>"
    (due_dir(isolated_environment) / "due").write_text("nonsense\n")
    assert marker() == "<>"


def test_bash_snippet_works_without_epochseconds(isolated_environment: Path) -> None:
    code = snippet("bash", "/nonexistent")
    write_due(due_dir(isolated_environment), PAST)
    result = subprocess.run(
        [
            "bash",
            "--norc",
            "-c",
            f'unset EPOCHSECONDS; PS1="$ "; {code}\n__pinpal_prompt; '
            'printf "<%s|%s>" "$__pinpal_marker" "$PS1"',
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "SECRETS_HOME": str(isolated_environment)},
        check=True,
    )
    assert result.stdout == "<[pin] |${__pinpal_marker}$ >"


def test_snippet_bakes_the_default_home_not_the_current_override() -> None:
    result = run("pinpal", "shell-init", "bash", env={"XDG_DATA_HOME": "/tmp/xdg q"})
    assert "__pinpal_default_home='/tmp/xdg q/secrets-toolkit'" in result.stdout


def test_bash_marker_survives_a_ps1_set_after_the_snippet(
    isolated_environment: Path, tmp_path: Path
) -> None:
    """An interactive bash, its rc file setting PS1 after the eval line."""
    rc = tmp_path / "bashrc"
    rc.write_text(snippet("bash", "/nonexistent") + "PS1='late> '\n")
    write_due(due_dir(isolated_environment), PAST)
    env = {**os.environ, "SECRETS_HOME": str(isolated_environment), "TERM": "dumb"}
    child = pexpect.spawn(
        "bash", ["--noprofile", "--rcfile", str(rc), "-i"], env=env, encoding="utf-8", timeout=30
    )
    child.expect_exact("[pin] late> ")
    write_due(due_dir(isolated_environment), FUTURE)
    child.sendline("PS1='later> '")
    child.expect_exact("later> ")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    assert "[pin] later>" not in str(child.before)
