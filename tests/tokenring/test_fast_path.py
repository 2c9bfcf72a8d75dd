"""``tokenring get`` through the agent loads only the standard library."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.cli import run
from tests.tokenring.conftest import AgentProcess, SharedAgent, start_agent, touches
from tokenring.agent.client import request

HEAVY = (
    "keyring",
    "cryptography",
    "typer",
    "click",
    "attrs",
    "attr",
    "fido2",
    "secrets_common",  # but for the light package itself and its home module: LIGHT_CORE
    "typing",
    "json",  # its decoder imports re: the client speaks JSON through _json
)
LIGHT_CORE = {"secrets_common", "secrets_common.home"}
"""Standard library only; where SECRETS_HOME is, computed in one place."""


def imported_modules(stderr: str) -> set[str]:
    """Module names from ``-X importtime`` lines (via PYTHONPROFILEIMPORTTIME)."""
    found = set()
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", line)
        if match:
            found.add(match.group(1))
    return found


def test_fast_get_imports_nothing_heavy(shared_agent: SharedAgent) -> None:
    request(
        {
            "op": "set",
            "service": "svc",
            "user": "u",
            "value": "fast",
            "vault": str(shared_agent.vault),
        }
    )
    before = touches(shared_agent.key)
    got = run("tokenring", "get", "svc", "u", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert got.returncode == 0, got.stderr
    assert got.stdout == "fast\n"
    assert touches(shared_agent.key) == before + 1
    modules = imported_modules(got.stderr)
    assert "tokenring.agent.client" in modules  # the measurement saw the fast path itself
    assert "tokenring.cli.app" not in modules
    heavy = {name for name in modules - LIGHT_CORE if name.split(".")[0] in HEAVY}
    assert heavy == set()


def test_fast_get_reports_a_missing_entry_in_one_line(shared_agent: SharedAgent) -> None:
    got = run("tokenring", "get", "svc", "nobody", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert got.returncode == 1
    assert [line for line in got.stderr.splitlines() if not line.startswith("import time")] == [
        "error: no entry for nobody in svc"
    ]
    assert "typer" not in imported_modules(got.stderr)


def test_without_agent_get_takes_the_full_path(vault_file: object) -> None:
    got = run("tokenring", "get", "svc", "u", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert got.returncode == 1
    assert "typer" in imported_modules(got.stderr)
    assert got.stderr.splitlines()[-1] == "error: no entry for u in svc"


# -- list, status, lock, stop, slots -----------------------------------------

FRAMEWORK = ("typer", "click", "rich", "pydantic")
FULL_PATH = {"SECRETS_NO_FAST_PATH": "1"}
# What the agent's clock changes between two runs of `status`.
_COUNTDOWN = re.compile(
    r'(?<=in )\d+(?= s (?:if idle|at the latest))|(?<="locks_after_idle_in": )[0-9.e+-]+'
    r'|(?<="locks_at_latest_in": )[0-9.e+-]+'
)


def without_import_lines(stderr: str) -> str:
    return "".join(
        line for line in stderr.splitlines(keepends=True) if not line.startswith("import time")
    )


def both_paths(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``tokenring ARGS`` fast and through typer; assert both print the same bytes.

    Returns the fast run (its stderr without the import lines) and what it imported.
    """
    fast = run("tokenring", *args, env={"PYTHONPROFILEIMPORTTIME": "1"})
    full = run("tokenring", *args, env=FULL_PATH)
    modules = imported_modules(fast.stderr)
    fast.stderr = without_import_lines(fast.stderr)
    assert (fast.returncode, _COUNTDOWN.sub("N", fast.stdout), fast.stderr) == (
        full.returncode,
        _COUNTDOWN.sub("N", full.stdout),
        full.stderr,
    )
    return fast, modules


def framework_in(modules: set[str]) -> set[str]:
    return {name for name in modules if name.split(".")[0] in FRAMEWORK}


LIGHT_CLI = LIGHT_CORE | {
    "secrets_common.errors",
    "secrets_common.cli",
    "secrets_common.cli.invocation",
    "secrets_common.cli.output",
    "secrets_common.cli.plainjson",
    "secrets_common.cli.running",
    "secrets_common.cli.versions",
}
"""The light modules of the toolkit's CLI: what the fast commands add to ``get``'s."""


def heavy_in(modules: set[str]) -> set[str]:
    return {name for name in modules - LIGHT_CLI if name.split(".")[0] in HEAVY}


def test_the_full_path_switch_really_imports_typer(shared_agent: SharedAgent) -> None:
    got = run("tokenring", "status", env={**FULL_PATH, "PYTHONPROFILEIMPORTTIME": "1"})
    assert got.returncode == 0
    assert "typer" in imported_modules(got.stderr)


@pytest.mark.parametrize("as_json", [[], ["--json"]])
def test_status_through_the_agent_is_fast_and_the_same(
    shared_agent: SharedAgent, as_json: list[str]
) -> None:
    got, modules = both_paths("status", *as_json)
    assert got.returncode == 0
    assert str(shared_agent.socket) in got.stdout
    if as_json:
        info = json.loads(got.stdout)
        assert info["running"] is True
        assert info["vault"] == str(shared_agent.vault)
    else:
        assert got.stdout.startswith("agent pid ")
    assert "tokenring.agent.client" in modules
    assert heavy_in(modules) == set()


@pytest.mark.parametrize("as_json", [[], ["--json"]])
def test_list_through_the_agent_is_fast_and_the_same(
    shared_agent: SharedAgent, as_json: list[str]
) -> None:
    vault = str(shared_agent.vault)
    # Other tests may have left entries of their own in the shared vault.
    there = [tuple(pair) for pair in request({"op": "list", "vault": vault})["entries"]]
    added = [("svc2", "u"), ('quo"te', "\u00fc\u00df\t"), ("https://example.org/", "__token__")]
    names = there + added
    for service, user in added:
        request({"op": "set", "service": service, "user": user, "value": "x", "vault": vault})
    try:
        before = touches(shared_agent.key)
        got, modules = both_paths("list", *as_json)
        assert touches(shared_agent.key) == before  # an unlocked agent lists without a touch
    finally:
        for service, user in added:
            request({"op": "delete", "service": service, "user": user, "vault": vault})
    assert got.returncode == 0, got.stderr
    if as_json:
        assert sorted(json.loads(got.stdout), key=str) == sorted(
            ({"service": s, "user": u} for s, u in names), key=str
        )
    else:
        assert sorted(got.stdout.splitlines()) == sorted(f"{s}\t{u}" for s, u in names)
    assert "tokenring.agent.client" in modules
    assert heavy_in(modules) == set()


def test_lock_and_stop_are_fast_and_the_same(
    vault_file: Path, tmp_path: Path, agents: list[AgentProcess]
) -> None:
    for command, message in (("lock", "agent locked\n"), ("stop", "agent stopped\n")):
        for env in ({"PYTHONPROFILEIMPORTTIME": "1"}, FULL_PATH):
            agents.append(start_agent(tmp_path))
            got = run("tokenring", command, env=env)
            assert (got.returncode, got.stdout) == (0, "")
            assert without_import_lines(got.stderr) == message
            if env is FULL_PATH:
                assert "typer" not in got.stderr  # no import lines asked for
            else:
                assert heavy_in(imported_modules(got.stderr)) == set()
            agents.pop().stop()


@pytest.mark.parametrize("args", [["status"], ["status", "--json"], ["lock"], ["stop"], ["list"]])
def test_without_an_agent_both_paths_agree(
    vault_file: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if args[0] == "list":  # which would start an agent for the second path to find
        monkeypatch.setenv("TOKENRING_NO_AGENT", "1")
    got, modules = both_paths(*args)
    assert got.returncode == 0, got.stderr
    if args[0] == "list":  # in-process, by the full CLI
        assert "typer" in modules
    else:
        assert heavy_in(modules) == set()


@pytest.mark.parametrize("as_json", [[], ["--json"]])
def test_slots_reads_the_vault_without_typer(vault_file: Path, as_json: list[str]) -> None:
    got, modules = both_paths("slots", *as_json)
    assert got.returncode == 0, got.stderr
    assert "key-1" in got.stdout
    assert "tokenring.ring" in modules
    assert framework_in(modules) == set()


def test_slots_without_a_vault_fails_alike(soft_key: Path) -> None:
    got, modules = both_paths("slots")
    assert got.returncode == 1
    assert got.stderr.startswith("error: no TokenRing vault at ")
    assert len(got.stderr.splitlines()) == 1
    assert framework_in(modules) == set()


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["status", "--bogus"], {}),
        (["list", "extra"], {}),
        (["lock"], {"SECRETS_DEBUG": "maybe"}),
        (["slots", "--vault"], {}),
    ],
)
def test_other_shapes_and_bad_input_fail_alike(
    soft_key: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    got, modules = both_paths(*args)
    assert got.returncode == 2
    [line] = got.stderr.splitlines()
    assert line.startswith("error: ")
    if not env:  # a shape the fast path does not know: typer reports it
        assert "typer" in modules


def test_get_takes_the_full_path_when_told(shared_agent: SharedAgent) -> None:
    vault = str(shared_agent.vault)
    request({"op": "set", "service": "svc", "user": "full", "value": "v", "vault": vault})
    try:
        got = run(
            "tokenring", "get", "svc", "full", env={**FULL_PATH, "PYTHONPROFILEIMPORTTIME": "1"}
        )
    finally:
        request({"op": "delete", "service": "svc", "user": "full", "vault": vault})
    assert got.returncode == 0
    assert got.stdout == "v\n"
    assert "typer" in imported_modules(got.stderr)
