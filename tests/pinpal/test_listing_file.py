"""The listing file: ``pinpal list`` without opening the vault, and never in its stead."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from pinpal.storage.names import LISTING_FILE, VAULT_FILE
from tests.cli import run
from tests.pinpal.helpers import START, seed
from tests.pinpal.test_fast_path import FRAMEWORK, both_paths, top_level

# What opening the vault takes; a listing that stands for it needs none of it.
VAULT_READING = {"keyring", "keyrings", "cryptography", "attrs", "attr", "fido2"}
LATER = str(START + 10 * 86400)


def state(env: dict[str, str]) -> Path:
    return Path(env["SECRETS_HOME"]) / "pinpal"


def listed(env: dict[str, str]) -> list[dict[str, Any]]:
    result = run("pinpal", "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return rows


def test_list_from_a_fresh_listing_opens_no_vault(env: dict[str, str]) -> None:
    seed(env, "mail")
    seed(env, "phone", digits=6)
    assert not (state(env) / LISTING_FILE).exists()  # seeded without the CLI
    listed(env)  # from the vault, which writes the listing
    path = state(env) / LISTING_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for as_json in ([], ["--json"]):
        got, modules = both_paths("pinpal", "list", *as_json, env=env)
        assert got.returncode == 0, got.stderr
        assert "phone" in got.stdout
        assert not top_level(modules) & (VAULT_READING | FRAMEWORK), top_level(modules)
        assert not {name for name in modules if name.startswith("secrets_common.vault")}


def test_every_change_renews_the_listing(env: dict[str, str]) -> None:
    made = seed(env, "mail")
    [before] = listed(env)
    drilled = run("pinpal", "--now", LATER, "drill", input=made["mail"] + "\n", env=env)
    assert drilled.returncode == 0, drilled.stderr
    # The drill rewrote the vault and the listing with it: still no vault read.
    got, modules = both_paths("pinpal", "list", "--json", env=env)
    assert not top_level(modules) & VAULT_READING
    [row] = json.loads(got.stdout)
    assert row["practices"] == before["practices"] + 1  # (and the same as the vault says)
    dropped = run("pinpal", "drop", "mail", "--yes", env=env)
    assert dropped.returncode == 0, dropped.stderr
    got, modules = both_paths("pinpal", "list", env=env)
    assert got.stdout == "no secrets yet: `pinpal new LABEL` starts one.\n"


def test_an_older_vault_put_back_is_refused_not_listed(env: dict[str, str]) -> None:
    made = seed(env, "mail")
    listed(env)
    vault = state(env) / VAULT_FILE
    older = vault.read_bytes()
    drilled = run("pinpal", "--now", LATER, "drill", input=made["mail"] + "\n", env=env)
    assert drilled.returncode == 0, drilled.stderr
    listed(env)
    copy = vault.with_name("older")
    copy.write_bytes(older)
    os.replace(copy, vault)  # an attacker rolls the vault back
    result = run("pinpal", "list", env=env)
    assert result.returncode == 4, result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")


def test_a_listing_of_another_vault_is_not_believed(env: dict[str, str]) -> None:
    seed(env, "mail")
    listed(env)
    path = state(env) / LISTING_FILE
    data = json.loads(path.read_text())
    data["summaries"][0]["label"] = "planted"
    data["vault"][0] += 1  # written for some other file
    path.write_text(json.dumps(data))
    got, modules = both_paths("pinpal", "list", env=env)
    assert "keyring" in top_level(modules)  # read from the vault instead
    assert got.stdout.startswith("mail: ")


def _damaged(good: str) -> list[str]:
    data = json.loads(good)
    wrong_type = json.loads(good)
    wrong_type["summaries"][0]["length"] = "4"
    extra = json.loads(good)
    extra["summaries"][0]["secret"] = "x"
    missing = json.loads(good)
    del missing["summaries"][0]["due_at"]
    future = {**data, "format": 2}
    return [
        "",
        good[: len(good) // 2],
        "[" * 100_000,
        json.dumps(wrong_type),
        json.dumps(extra),
        json.dumps(missing),
        json.dumps(future),
        json.dumps({**data, "summaries": {}}),
    ]


@pytest.mark.parametrize("case", range(8))
def test_a_damaged_listing_is_set_right_from_the_vault(env: dict[str, str], case: int) -> None:
    seed(env, "mail")
    listed(env)
    path = state(env) / LISTING_FILE
    good = path.read_text()
    path.write_text(_damaged(good)[case])
    got, modules = both_paths("pinpal", "list", env=env)
    assert got.returncode == 0, got.stderr
    assert got.stdout.startswith("mail: ")
    assert "keyring" in top_level(modules)
    assert path.read_text() == good


def test_a_rehearsal_writes_no_listing(env: dict[str, str]) -> None:
    seed(env, "mail")
    rehearsing = {**env, "PINPAL_TEST_CLOCK": "0"}
    result = run("pinpal", "--now", LATER, "list", env=rehearsing)
    assert result.returncode == 0, result.stderr
    assert not (state(env) / LISTING_FILE).exists()


def test_start_over_forgets_the_listing(env: dict[str, str]) -> None:
    seed(env, "mail")
    listed(env)
    started = run("pinpal", "start-over", "--yes", env=env)
    assert started.returncode == 0, started.stderr
    assert not (state(env) / LISTING_FILE).exists()
    assert listed(env) == []
