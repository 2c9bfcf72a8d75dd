"""``tokenring`` in-process (no agent): entries, keys, and one-line failures."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import filelock
import pexpect
import pytest

from tests.cli import run, script
from tests.tokenring.conftest import touches
from tests.tokenring.invoke import Invoke


@pytest.fixture(autouse=True)
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the CLI working on the vault itself: no agent on demand."""
    monkeypatch.setenv("TOKENRING_NO_AGENT", "1")


def one_error_line(result: object, code: int, starts: str) -> None:
    assert getattr(result, "returncode", None) == code
    stderr = str(getattr(result, "stderr", ""))
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert errors[0].startswith(starts), stderr
    assert "Traceback" not in stderr


def test_cold_get_costs_exactly_one_touch(
    tokenring: Invoke, vault_file: Path, soft_key: Path
) -> None:
    assert tokenring("set", "pypi", "__token__", input="tok\n").returncode == 0
    before = touches(soft_key)
    got = tokenring("get", "pypi", "__token__")
    assert got.stdout == "tok\n"
    assert touches(soft_key) == before + 1


def test_set_from_stdin_strips_exactly_one_newline(tokenring: Invoke, vault_file: Path) -> None:
    tokenring("set", "svc", "user", input="line one\nline two\n\n")
    assert tokenring("get", "svc", "user").stdout == "line one\nline two\n\n"


def test_set_refuses_an_empty_secret(vault_file: Path, soft_key: Path) -> None:
    before = touches(soft_key)
    refused = run("tokenring", "set", "svc", "user", input="")
    assert refused.returncode == 2
    assert (
        refused.stderr.strip().splitlines()[-1] == "error: the secret is empty; nothing was stored"
    )
    assert touches(soft_key) == before
    assert run("tokenring", "list").stdout == ""


def test_set_on_a_terminal_asks_twice_without_echo(tokenring: Invoke, vault_file: Path) -> None:
    child = pexpect.spawn(script("tokenring"), ["set", "svc", "user"], encoding="utf-8", timeout=30)
    child.expect("Secret for 'user' at 'svc': ")
    child.sendline("typed-secret")
    child.expect("Again, to confirm: ")
    child.sendline("typed-secret")
    child.expect(pexpect.EOF)
    assert "typed-secret" not in (child.before or "")
    child.close()
    assert child.exitstatus == 0
    assert tokenring("get", "svc", "user").stdout == "typed-secret\n"


def test_missing_entry(tokenring: Invoke, vault_file: Path) -> None:
    got = tokenring("get", "pypi", "nobody")
    assert got.returncode == 1
    assert got.stderr.splitlines()[-1] == "error: no entry for nobody in pypi"
    one_error_line(tokenring("delete", "pypi", "nobody"), 1, "error: no entry for nobody")


@pytest.mark.parametrize(
    "command",
    [["get", "s", "u"], ["set", "s", "u"], ["delete", "s", "u"], ["list"], ["slots"], ["enroll"]],
)
def test_no_vault_yet(tokenring: Invoke, soft_key: Path, command: list[str]) -> None:
    result = tokenring(*command, input="x")
    one_error_line(result, 1, "error: no TokenRing vault at ")
    assert "tokenring init" in result.stderr


def test_wrong_key(tokenring: Invoke, vault_file: Path, tmp_path: Path) -> None:
    other = {"SECRETS_AUTHENTICATOR": f"soft:{tmp_path / 'stranger.json'}"}
    one_error_line(tokenring("get", "s", "u", env=other), 3, "error: ")
    one_error_line(tokenring("set", "s", "u", input="x", env=other), 3, "error: ")


def test_presence_refused_loses_nothing(tokenring: Invoke, vault_file: Path) -> None:
    tokenring("set", "s", "u", input="kept")
    deny = {"SECRETS_SOFT_PRESENCE": "deny"}
    one_error_line(tokenring("get", "s", "u", env=deny), 3, "error: ")
    one_error_line(tokenring("set", "s", "u", input="new", env=deny), 3, "error: ")
    assert tokenring("get", "s", "u").stdout == "kept\n"


def test_vault_locked_by_another_writer(tokenring: Invoke, vault_file: Path) -> None:
    lock = filelock.FileLock(str(vault_file) + ".lock")
    with lock:
        result = tokenring("set", "s", "u", input="x", env={"TOKENRING_LOCK_TIMEOUT": "0.2"})
    one_error_line(result, 5, "error: ")
    assert "locked by another process" in result.stderr
    assert tokenring("get", "s", "u").returncode == 1


@contextlib.contextmanager
def lock_held_elsewhere(vault: Path) -> Iterator[None]:
    """The vault's lock, held by another process until the block ends."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import filelock, sys\n"
            "lock = filelock.FileLock(sys.argv[1])\n"
            "lock.acquire()\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",
            str(vault) + ".lock",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    try:
        assert holder.stdout.readline() == "held\n"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_a_write_while_another_process_holds_the_lock_costs_no_touch(
    tokenring: Invoke, vault_file: Path, soft_key: Path, tmp_path: Path
) -> None:
    tokenring("set", "s", "u", input="kept")
    new_key = tmp_path / "new.json"
    both = {"SECRETS_AUTHENTICATOR": f"soft:{soft_key},soft:{new_key}"}
    spent = touches(soft_key)
    quick = {"TOKENRING_LOCK_TIMEOUT": "0.2"}
    with lock_held_elsewhere(vault_file):
        for command, extra in (
            (["set", "s", "u"], {}),
            (["delete", "s", "u"], {}),
            (["enroll"], both),
            (["rotate"], {}),
        ):
            refused = tokenring(*command, input="new", env={**quick, **extra})
            one_error_line(refused, 5, f"error: vault {vault_file} is locked by another process")
            assert "(waited 0.2 s)" in refused.stderr
            assert touches(soft_key) == spent, command
    assert touches(new_key) == 0
    assert tokenring("get", "s", "u").stdout == "kept\n"


def test_a_bad_lock_timeout_is_one_usage_line_naming_the_value(
    tokenring: Invoke, vault_file: Path, soft_key: Path
) -> None:
    spent = touches(soft_key)
    result = tokenring("set", "s", "u", input="x", env={"TOKENRING_LOCK_TIMEOUT": "10s"})
    one_error_line(
        result, 2, "error: TOKENRING_LOCK_TIMEOUT must be a number of seconds, not '10s'"
    )
    assert touches(soft_key) == spent


def test_init_with_recovery_code_and_slots(tokenring: Invoke, soft_key: Path) -> None:
    created = tokenring("init", "--recovery-code")
    assert created.returncode == 0, created.stderr
    assert "Recovery code" in created.stdout
    code = [line.strip() for line in created.stdout.splitlines() if line.count("-") == 7]
    assert len(code) == 1
    slots = json.loads(tokenring("slots", "--json").stdout)
    assert [slot["kind"] for slot in slots] == ["authenticator", "recovery"]
    again = tokenring("init", "--no-recovery-code")
    one_error_line(again, 2, "error: ")


def test_slots_json_carries_full_credential_ids(tokenring: Invoke, vault_file: Path) -> None:
    header = json.loads(vault_file.read_bytes().split(b"\n", 1)[0])
    recorded = header["slots"][0]["credential_id"]
    assert len(recorded) > 32
    shown = json.loads(tokenring("slots", "--json").stdout)
    assert shown == [
        {
            "name": "key-1",
            "kind": "authenticator",
            "detail": f"everyday key, secrets-toolkit, credential {recorded[:12]}…",
            "role": "everyday",
            "rp_id": "secrets-toolkit",
            "credential_id": recorded,
            "pin": False,
        }
    ]
    # The text stays short: the prefix is enough to tell keys apart.
    assert tokenring("slots").stdout == (
        f"key-1\tauthenticator\teveryday key, secrets-toolkit, credential {recorded[:12]}…\n"
    )


def test_init_without_recovery_code_warns_until_one_is_added(
    tokenring: Invoke, soft_key: Path
) -> None:
    created = tokenring("init", "--no-recovery-code")
    assert created.returncode == 0
    assert "Recovery code" not in created.stdout
    assert "losing that key loses every entry" in created.stderr
    added = tokenring("enroll", "--recovery-code")
    assert added.returncode == 0, added.stderr
    assert "Recovery code" in added.stdout
    slots = tokenring("slots")
    assert "recovery\trecovery" in slots.stdout
    assert "warning" not in slots.stderr


def test_enrolled_backup_key_reads_alone(
    tokenring: Invoke, vault_file: Path, tmp_path: Path, soft_key: Path
) -> None:
    backup = tmp_path / "backup.json"
    tokenring("set", "s", "u", input="both keys")
    both = {"SECRETS_AUTHENTICATOR": f"soft:{soft_key},soft:{backup}"}
    enrolled = tokenring("enroll", env=both)
    assert enrolled.returncode == 0, enrolled.stderr
    names = tokenring("slots").stdout
    assert "key-1\tauthenticator" in names
    assert "key-2\tauthenticator" in names
    alone = {"SECRETS_AUTHENTICATOR": f"soft:{backup}"}
    assert tokenring("get", "s", "u", env=alone).stdout == "both keys\n"
    assert touches(backup) >= 2


def test_enroll_with_two_keys_says_which_key_each_touch_is_for(
    tokenring: Invoke, vault_file: Path, tmp_path: Path, soft_key: Path
) -> None:
    tokenring("set", "s", "u", input="pw")
    office = tmp_path / "office.json"
    both = {"SECRETS_AUTHENTICATOR": f"soft:{soft_key},soft:{office}"}
    enrolled = tokenring("enroll", "--name", "office", env=both)
    assert enrolled.returncode == 0, enrolled.stderr
    prompts = [line for line in enrolled.stderr.splitlines() if line.startswith("Touch ")]
    named = [line.split(" to ")[0].removeprefix("Touch your security key ") for line in prompts]
    enrolled_key, new_key = f"SoftAuthenticator ({soft_key})", f"SoftAuthenticator ({office})"
    # The enrolled key releases the entries first, then the new key enrols and wraps them.
    assert named == [enrolled_key] * named.count(enrolled_key) + [new_key] * named.count(new_key)
    assert named.count(enrolled_key) >= 1
    assert named.count(new_key) >= 1
    alone = tokenring("get", "s", "u")
    assert "Touch your security key to read 's' / 'u'" in alone.stderr


def test_enroll_with_only_enrolled_keys_connected_costs_no_touch(
    tokenring: Invoke, vault_file: Path, tmp_path: Path, soft_key: Path
) -> None:
    tokenring("set", "s", "u", input="pw")
    spent = touches(soft_key)
    alone = tokenring("enroll")
    one_error_line(alone, 3, f"error: SoftAuthenticator ({soft_key}) is already enrolled")
    assert touches(soft_key) == spent
    office = tmp_path / "office.json"
    both = {"SECRETS_AUTHENTICATOR": f"soft:{soft_key},soft:{office}"}
    assert tokenring("enroll", "--name", "office", env=both).returncode == 0
    before = touches(soft_key), touches(office)
    again = tokenring("enroll", env=both)
    one_error_line(again, 3, "error: all connected security keys are already enrolled")
    assert (touches(soft_key), touches(office)) == before
    assert [line.split("\t")[0] for line in tokenring("slots").stdout.splitlines()] == [
        "key-1",
        "office",
    ]


def test_rotate_keeps_entries(tokenring: Invoke, vault_file: Path) -> None:
    tokenring("set", "s", "u", input="survives")
    assert tokenring("rotate").returncode == 0
    assert tokenring("get", "s", "u").stdout == "survives\n"


def test_list_shows_names_never_secrets(tokenring: Invoke, vault_file: Path) -> None:
    tokenring("set", "svc-b", "bob", input="secret-b")
    tokenring("set", "svc-a", "alice", input="secret-a")
    listed = tokenring("list", "--json")
    assert json.loads(listed.stdout) == [
        {"service": "svc-a", "user": "alice"},
        {"service": "svc-b", "user": "bob"},
    ]
    assert "secret-" not in listed.stdout + listed.stderr
    deleted = tokenring("delete", "svc-a", "alice")
    assert deleted.returncode == 0
    assert tokenring("list").stdout == "svc-b\tbob\n"


def test_secrets_ring_is_the_same_tool(tokenring: Invoke, vault_file: Path) -> None:
    run("secrets", "ring", "set", "s", "u", input="via secrets")
    assert tokenring("get", "s", "u").stdout == "via secrets\n"


def test_keyring_cli_goes_through_tokenring(tokenring: Invoke, vault_file: Path) -> None:
    listed = run("keyring", "--list-backends")
    assert "tokenring.backend.TokenRingKeyring (priority: 20)" in listed.stdout
    assert run("keyring", "set", "svc", "user", input="from keyring\n").returncode == 0
    assert run("keyring", "get", "svc", "user").stdout == "from keyring\n"
    assert tokenring("get", "svc", "user").stdout == "from keyring\n"
    assert run("keyring", "del", "svc", "user").returncode == 0
    assert tokenring("get", "svc", "user").returncode == 1


def test_tokenring_disable_switches_the_backend_off(vault_file: Path) -> None:
    listed = run("keyring", "--list-backends", env={"TOKENRING_DISABLE": "1"})
    assert "TokenRing" not in listed.stdout


def test_init_on_a_terminal_offers_the_recovery_code(soft_key: Path) -> None:
    child = pexpect.spawn(script("tokenring"), ["init"], encoding="utf-8", timeout=30)
    child.expect(r"Create a recovery code too")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Recovery code" not in (child.before or "")
    assert "losing that key loses every entry" in (child.before or "")


def test_set_on_a_terminal_refuses_two_different_entries(
    tokenring: Invoke, vault_file: Path
) -> None:
    child = pexpect.spawn(script("tokenring"), ["set", "svc", "user"], encoding="utf-8", timeout=30)
    child.expect("Secret for ")
    child.sendline("one")
    child.expect("Again, to confirm: ")
    child.sendline("two")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "error: the two entries differ; nothing was stored" in (child.before or "")
    assert tokenring("get", "svc", "user").returncode == 1


def test_init_exist_ok_keeps_the_vault_without_a_touch(
    tokenring: Invoke, vault_file: Path, soft_key: Path
) -> None:
    before, touched = vault_file.read_bytes(), touches(soft_key)
    kept = tokenring("init", "--exist-ok", "--no-recovery-code")
    assert kept.returncode == 0, kept.stderr
    assert "already exists" in kept.stderr
    assert "error" not in kept.stderr
    assert (vault_file.read_bytes(), touches(soft_key)) == (before, touched)
