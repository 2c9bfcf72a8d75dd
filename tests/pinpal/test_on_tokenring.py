"""PINPal where TokenRing is the keyring backend: its vault key lives behind a touch.

End to end through real processes, with the software authenticator standing
in for the security key; its state file counts the touches it granted. The
counts are the ones packages/pinpal/README.md documents: one per command
that opens the vault, however many labels it reads; none for `check`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pinpal.storage.vaultstore import VAULT_FILE
from secrets_common.vault import KEYRING_SERVICE, Vault
from tests.cli import run
from tests.pinpal.helpers import one_answer_from_forgetting, plain_keyring, start

ORIGINAL_STORAGE = Path(__file__).parent / "fixtures" / "original_storage.json"


@pytest.fixture
def ring_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    ring = {
        **env,
        "SECRETS_AUTHENTICATOR": f"soft:{tmp_path / 'key.json'}",
        "PYTHON_KEYRING_BACKEND": "tokenring.backend.TokenRingKeyring",
        # The counts of packages/pinpal/README.md are in-process ones: no agent
        # on demand (through one, a re-key's delete would cost no touch).
        "TOKENRING_NO_AGENT": "1",
    }
    created = run("secrets", "ring", "init", "--no-recovery-code", env=ring)
    assert created.returncode == 0, created.stderr
    return ring


def touches(env: dict[str, str]) -> int:
    key = Path(env["SECRETS_AUTHENTICATOR"].removeprefix("soft:"))
    count = json.loads(key.read_text())["touches"]
    assert isinstance(count, int)
    return count


# `list` from the vault, as typer's command reads it, not from the listing file.
VIA_VAULT = {"SECRETS_NO_FAST_PATH": "1"}


def cost(env: dict[str, str], *args: str, answers: str = "") -> int:
    """Touches taken by one successful `pinpal` command fed ``answers``."""
    before = touches(env)
    result = run("pinpal", *args, input=answers, env=env)
    assert result.returncode == 0, result.stderr
    return touches(env) - before


def test_pinpal_keeps_its_vault_key_behind_one_touch_per_command(
    ring_env: dict[str, str],
) -> None:
    assert touches(ring_env) == 1  # `secrets ring init`

    # The first `new` creates PINPal's vault and stores its key in TokenRing.
    secret, said = start(ring_env, "new", "--words", "2", "laptop")
    assert "laptop: 2 words, 25.8 bits" in said
    assert touches(ring_env) == 2

    other = "alpha beta"
    assert cost(ring_env, "new", "other", "--existing", answers=f"{other}\n{other}\n") == 1
    assert cost(ring_env, "list") == 0  # the listing file stands for the vault
    assert cost({**ring_env, **VIA_VAULT}, "list") == 1
    assert cost(ring_env, "check") == 0
    later = str(2_000_000_000)
    assert cost(ring_env, "--now", later, "drill", answers=f"{secret}\n{other}\n") == 1
    listing = json.loads(run("pinpal", "list", "--json", env=ring_env).stdout)
    assert [(row["label"], row["practices"]) for row in listing] == [("laptop", 2), ("other", 2)]

    before = touches(ring_env)
    denied = {**ring_env, **VIA_VAULT, "SECRETS_SOFT_PRESENCE": "deny"}
    refused = run("pinpal", "list", env=denied)
    assert refused.returncode == 3, refused.stderr  # the table's "security key", not "vault file"
    assert refused.stderr.count("error:") == 1
    assert "not touched" in refused.stderr.splitlines()[-1]
    assert touches(ring_env) == before


def test_import_legacy_finds_the_original_in_the_keychain_tokenring_outranks(
    ring_env: dict[str, str],
) -> None:
    # The original PINPal wrote to the OS keychain (here keyrings.alt's file);
    # with TokenRing installed, keyring's own choice is TokenRing.
    stored = ORIGINAL_STORAGE.read_text("utf-8")
    plain_keyring(ring_env).set_password("pinpal", "storage", stored)
    chosen_by_keyring = {k: v for k, v in ring_env.items() if k != "PYTHON_KEYRING_BACKEND"}
    result = run("pinpal", "import-legacy", env=chosen_by_keyring)
    assert result.returncode == 0, result.stderr
    found = len(json.loads(stored))
    assert f"imported {found} of {found} records." in result.stdout
    # PINPal's own vault key went to TokenRing, behind a touch.
    assert cost({**ring_env, **VIA_VAULT}, "list") == 1


# A re-key under TokenRing: the set of a new entry and the delete of the old
# one, two touches in all (docs/threat-model.md).
REKEY_TOUCHES = 2


def test_a_rekey_under_tokenring_costs_what_the_docs_say(ring_env: dict[str, str]) -> None:
    # Forgetting for real (issue 11 §3): a re-key stores a new TokenRing entry
    # and deletes the old one, on top of the command's own touch.
    other = "alpha beta"
    assert cost(ring_env, "new", "kept", "--existing", answers=f"{other}\n{other}\n") == 1
    assert cost(ring_env, "new", "gone", "--existing", answers=f"{other}\n{other}\n") == 1
    listed = run("secrets", "ring", "list", "--json", env=ring_env)
    before = listed.stdout.count("vault:")
    assert cost(ring_env, "drop", "gone", "--yes") == 1 + REKEY_TOUCHES
    after = run("secrets", "ring", "list", "--json", env=ring_env).stdout.count("vault:")
    assert after == before  # one new entry, one deleted
    assert cost({**ring_env, **VIA_VAULT}, "list") == 1


def test_a_rekey_through_the_agent_costs_one_touch_more(ring_env: dict[str, str]) -> None:
    # The agent the first command starts keeps the vault unlocked: the delete is free.
    agent_env = {k: v for k, v in ring_env.items() if k != "TOKENRING_NO_AGENT"}
    other = "alpha beta"
    assert cost(agent_env, "new", "kept", "--existing", answers=f"{other}\n{other}\n") == 1
    assert cost(agent_env, "new", "gone", "--existing", answers=f"{other}\n{other}\n") == 1
    assert cost(agent_env, "drop", "gone", "--yes") == 1 + 1
    assert cost({**agent_env, **VIA_VAULT}, "list") == 1


def test_the_ring_names_pinpals_vault_key_and_will_not_delete_it_unforced(
    ring_env: dict[str, str],
) -> None:
    start(ring_env, "new", "--words", "2", "laptop")
    listed = run("secrets", "ring", "list", env=ring_env)
    assert listed.returncode == 0, listed.stderr
    service, user, name = listed.stdout.rstrip("\n").split("\t")
    assert (service, name) == ("secrets-toolkit", "PINPal's vault key")
    rows = json.loads(run("secrets", "ring", "list", "--json", env=ring_env).stdout)
    assert rows == [{"service": service, "user": user, "known_as": "PINPal's vault key"}]

    # Reading it (every PINPal command) names it in the touch prompt.
    said = run("pinpal", "list", env={**ring_env, **VIA_VAULT})
    assert said.returncode == 0, said.stderr
    assert "PINPal's vault key" in said.stderr
    assert user not in said.stderr, said.stderr
    assert "Touch your security key to read PINPal's vault key" in said.stderr, said.stderr

    refused = run("secrets", "ring", "delete", service, user, env=ring_env)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "PINPal's vault key" in refused.stderr
    assert "every secret PINPal keeps" in refused.stderr
    assert "--force" in refused.stderr
    assert run("pinpal", "list", env=ring_env).returncode == 0

    forced = run("secrets", "ring", "delete", "--force", service, user, env=ring_env)
    assert forced.returncode == 0, forced.stderr
    assert run("secrets", "ring", "list", env=ring_env).stdout == ""


def test_a_drill_that_forgets_in_two_labels_rekeys_once(ring_env: dict[str, str]) -> None:
    # Made through the plain keyring (fast, in this process), then PINPal's
    # vault key moved into TokenRing, where the drill reads it.
    secrets = {"bank": "4711", "mail": "alpha beta"}
    when = one_answer_from_forgetting(ring_env, secrets)
    vault = Path(ring_env["SECRETS_HOME"]) / "pinpal" / VAULT_FILE
    (user,) = [s.username for s in Vault.open(vault).slots() if s.kind == "keyring"]
    plain = plain_keyring(ring_env)
    key = plain.get_password(KEYRING_SERVICE, user)
    assert key is not None
    moved = run("secrets", "ring", "set", KEYRING_SERVICE, user, input=key + "\n", env=ring_env)
    assert moved.returncode == 0, moved.stderr
    plain.delete_password(KEYRING_SERVICE, user)
    assert cost(ring_env, "list") == 1

    stored = {**ring_env, "PINPAL_TEST_CLOCK": "1"}
    answers = "".join(f"{secrets[label]}\n" for label in sorted(secrets))
    before = touches(ring_env)
    result = run("pinpal", "--now", str(when), "drill", input=answers, env=stored)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("PINPal has now forgotten") == 2, result.stdout
    assert "2 of 2 right." in result.stdout
    # The drill's own touch, and one re-key for both labels' forgotten tokens.
    assert touches(ring_env) - before == 1 + REKEY_TOUCHES
    listed = run("secrets", "ring", "list", "--json", env=ring_env)
    assert listed.stdout.count("vault:") == 1, listed.stdout
