"""``tokenring get`` through the agent loads only the standard library."""

from __future__ import annotations

import re

from tests.cli import run
from tests.tokenring.conftest import SharedAgent, touches
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
