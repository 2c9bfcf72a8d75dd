"""Forgetting is real, and the vault PINPal trusts is the one it made (issue 11 §3, §4).

Tested as the attacker would: copies of the vault file taken at every step,
tried with every secret left in the keyring; a vault and keyring secret of
the attacker's own put in place of PINPal's.
"""

from __future__ import annotations

import configparser
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pinpal.learning.secretgen import existing_secret, generate_words
from pinpal.service import Pinpal
from pinpal.storage.codec import decode_entry
from pinpal.storage.store import MemoryStore
from pinpal.storage.vaultpin import PIN_FILE, read_pin
from pinpal.storage.vaultstore import VAULT_FILE, VaultStore
from secrets_common.errors import SecretsError
from secrets_common.vault import KEYRING_SERVICE, GenerationLog, NewKeyringSlot, Opener, Vault
from tests.cli import run
from tests.pinpal.helpers import (
    TINY_SCRYPT,
    FakeClock,
    cli_service,
    keyring_file,
    one_answer_from_forgetting,
    plain_keyring,
    seed,
    seeded_entropy,
)


class Always:
    """The attacker's keyring: answers ``secret`` whatever the vault asks for."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def get_password(self, service: str, username: str) -> str | None:
        del service, username
        return self.secret

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("the attacker's test keyring stores nothing")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("the attacker's test keyring deletes nothing")


def keyring_secrets(env: dict[str, str]) -> list[str]:
    """Every secret the keyring file still holds, read through the keyring API."""
    from keyrings.alt.escape import unescape

    config = configparser.RawConfigParser()
    config.read(keyring_file(env), encoding="utf-8")
    keyring = plain_keyring(env)
    found = []
    for section in config.sections():
        for option in config.options(section):
            value = keyring.get_password(unescape(section), unescape(option))
            if value is not None:
                found.append(value)
    return found


def opens(copy: Path, keyring: object) -> bool:
    """Whether ``copy`` unlocks with ``keyring`` (a fresh rollback log: any copy is tried)."""
    try:
        vault = Vault.open(copy, guard=GenerationLog(None))
        vault.unlock(Opener(keyring=keyring), reason="attack")  # type: ignore[arg-type]
    except SecretsError:
        return False
    return True


class Copier:
    def __init__(self, source: Path, directory: Path) -> None:
        self.source = source
        self.directory = directory
        directory.mkdir(mode=0o700)
        self.copies: list[Path] = []

    def take(self) -> Path:
        copy = self.directory / f"copy-{len(self.copies)}"
        shutil.copy2(self.source, copy)
        os.chmod(copy, 0o600)
        self.copies.append(copy)
        return copy

    def __iter__(self) -> Iterator[Path]:
        return iter(self.copies)


def test_no_earlier_copy_opens_once_a_secret_is_learned(
    env: dict[str, str], tmp_path: Path
) -> None:
    service = cli_service(env)
    assert isinstance(service.clock, FakeClock)
    text = "correct horse"
    service.new("mail", existing_secret(text))
    vault = Path(env["SECRETS_HOME"]) / "pinpal" / VAULT_FILE
    copies = Copier(vault, tmp_path / "copies")
    copies.take()
    # At the time, a copy opened and showed the words: the attack is real.
    assert opens(copies.copies[0], plain_keyring(env))
    for _ in range(100):
        service.clock.now = max(service.clock.now + 60, service.entry("mail").current.due_at())
        review, _ = service.answer("mail", "current", text)
        assert review.correct
        copies.take()
        if review.record.learned:
            break
    assert service.entry("mail").current.learned
    left = keyring_secrets(env)
    assert len(left) == 1
    *earlier, last = copies
    assert len(earlier) > 5
    for copy in earlier:
        assert not opens(copy, plain_keyring(env)), copy
        for secret in left:
            assert not opens(copy, Always(secret)), copy
    # The file as it is now opens, and holds no token any more.
    assert opens(last, Always(left[0]))
    now = Vault.open(last, guard=GenerationLog(None)).unlock(
        Opener(keyring=Always(left[0])), reason="check"
    )
    stored = now.read("mail", Opener(keyring=Always(left[0])), reason="check")
    assert b"horse" not in stored
    assert decode_entry(stored, "mail").current.learned


def test_a_drop_shreds_every_earlier_copy(env: dict[str, str], tmp_path: Path) -> None:
    seed(env, "mail", "bank")
    vault = Path(env["SECRETS_HOME"]) / "pinpal" / VAULT_FILE
    copies = Copier(vault, tmp_path / "copies")
    copies.take()
    dropped = run("pinpal", "drop", "mail", "--yes", env=env)
    assert dropped.returncode == 0, dropped.stderr
    left = keyring_secrets(env)
    assert len(left) == 1
    assert not opens(copies.copies[0], Always(left[0]))
    assert not opens(copies.copies[0], plain_keyring(env))
    assert cli_service(env).store.labels() == ["bank"]


def test_the_store_is_rekeyed_exactly_when_plaintext_leaves(tmp_path: Path) -> None:
    store = MemoryStore()
    clock = FakeClock()
    service = Pinpal(store, tmp_path, clock, lambda: TINY_SCRYPT, seeded_entropy(3))
    secret = generate_words(2, service.entropy)
    service.new("mail", secret)
    assert store.rekeys == 0
    # A right answer that hides a word keeps every token: no re-key.
    review, _ = service.answer("mail", "current", secret.text)
    assert review.newly_hidden
    assert not review.newly_forgotten
    assert store.rekeys == 0
    service.answer("mail", "current", "wrong answer")
    assert store.rekeys == 0
    # Rotating keeps the old secret (as the one retiring): no re-key.
    replacement = generate_words(2, service.entropy)
    service.rotate("mail", replacement)
    assert store.rekeys == 0
    # Rotating again discards the unlearned replacement: its words leave.
    service.rotate("mail", generate_words(2, service.entropy))
    assert store.rekeys == 1
    service.drop("mail")
    assert store.rekeys == 2
    # Forgetting a token re-keys.
    pin = generate_words(1, service.entropy)
    service.new("pin", pin)
    before = store.rekeys
    for _ in range(50):
        clock.now = max(clock.now + 60, service.entry("pin").current.due_at())
        review, _ = service.answer("pin", "current", pin.text)
        if review.newly_forgotten:
            break
    assert review.newly_forgotten
    assert store.rekeys == before + 1


def test_a_crash_before_the_old_key_is_deleted_is_finished_by_the_next_command(
    env: dict[str, str], tmp_path: Path
) -> None:
    seed(env, "mail", "bank")
    state = Path(env["SECRETS_HOME"]) / "pinpal"
    copies = Copier(state / VAULT_FILE, tmp_path / "copies")
    copies.take()
    keyring = plain_keyring(env)

    class Crashing:
        def get_password(self, service: str, username: str) -> str | None:
            found: str | None = keyring.get_password(service, username)
            return found

        def set_password(self, service: str, username: str, password: str) -> None:
            keyring.set_password(service, username, password)

        def delete_password(self, service: str, username: str) -> None:
            raise SystemExit("killed between the vault write and the delete")

    store = VaultStore(state / VAULT_FILE, Crashing)
    with pytest.raises(SystemExit):
        store.rekey()
    # Both secrets are in the keyring; the pin says which one is still to go.
    assert len(keyring_secrets(env)) == 2
    pin = read_pin(state / PIN_FILE)
    assert pin is not None
    assert len(pin.shred) == 1
    assert opens(copies.copies[0], keyring)  # said in the docs: until the next command
    listed = run("pinpal", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert len(keyring_secrets(env)) == 1
    assert not opens(copies.copies[0], keyring)
    pin = read_pin(state / PIN_FILE)
    assert pin is not None
    assert pin.shred == ()
    assert pin.next is None


def plant(env: dict[str, str], random: object = None) -> tuple[Path, bytes]:
    """The attacker's vault at PINPal's path, its secret planted in the keyring."""
    path = Path(env["SECRETS_HOME"]) / "pinpal" / VAULT_FILE
    path.rename(path.with_name("real-vault"))
    options = {} if random is None else {"random": random}
    Vault.create(path, NewKeyringSlot(backend=plain_keyring(env)), **options)  # type: ignore[arg-type]
    return path, path.read_bytes()


def refused(env: dict[str, str], path: Path, planted: bytes) -> None:
    for args, answers in (
        (("list",), ""),
        (("new", "bank", "--existing"), "hunter22\nhunter22\n"),
        (("drill",), "anything\n"),
        (("test", "mail"), "anything\n"),
    ):
        result = run("pinpal", *args, input=answers, env=env)
        assert result.returncode == 4, (args, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert "is not the vault PINPal made here" in result.stderr
        assert "`pinpal start-over`" in result.stderr
        assert path.read_bytes() == planted, args


def test_a_planted_vault_is_refused_and_gets_nothing(env: dict[str, str]) -> None:
    seed(env, "mail")
    path, planted = plant(env)
    refused(env, path, planted)


def test_a_planted_vault_with_the_real_id_and_keyring_user_is_refused(
    env: dict[str, str],
) -> None:
    # The id and the keyring user name are public, in the file's header: the
    # attacker copies both and overwrites the keyring item with its own secret.
    seed(env, "mail")
    path = Path(env["SECRETS_HOME"]) / "pinpal" / VAULT_FILE
    real = Vault.open(path)
    username = next(s.username for s in real.slots() if s.kind == "keyring")
    wanted = {16: bytes.fromhex(real.vault_id), 4: bytes.fromhex(username.rsplit(":", 1)[1])}

    def forging(size: int) -> bytes:
        return wanted.pop(size, None) or os.urandom(size)

    path, planted = plant(env, forging)
    forged = Vault.open(path)
    assert forged.vault_id == real.vault_id
    assert [s.username for s in forged.slots()] == [username]
    assert plain_keyring(env).get_password(KEYRING_SERVICE, username) is not None
    refused(env, path, planted)


def test_start_over_sets_the_vault_aside_and_a_new_one_is_trusted(env: dict[str, str]) -> None:
    seed(env, "mail")
    path, planted = plant(env)
    asked = run("pinpal", "start-over", input="n\n", env=env)
    assert asked.stdout.endswith("nothing was changed.\n")
    assert path.read_bytes() == planted
    started = run("pinpal", "start-over", "--yes", env=env)
    assert started.returncode == 0, started.stderr
    assert " aside as vault.set-aside-" in started.stdout
    assert not path.exists()
    assert [p.read_bytes() for p in path.parent.glob("vault.set-aside-*")] == [planted]
    made = run("pinpal", "new", "bank", "--existing", input="4711\n4711\n", env=env)
    assert made.returncode == 0, made.stderr
    assert run("pinpal", "list", env=env).returncode == 0


def test_a_missing_vault_with_a_pin_is_said_not_silently_empty(env: dict[str, str]) -> None:
    seed(env, "mail")
    (Path(env["SECRETS_HOME"]) / "pinpal" / VAULT_FILE).unlink()
    result = run("pinpal", "list", env=env)
    assert result.returncode == 4
    assert "PINPal's vault" in result.stderr
    assert "is missing" in result.stderr
    assert "`pinpal start-over`" in result.stderr


def test_a_vault_made_before_pins_is_pinned_on_first_use(env: dict[str, str]) -> None:
    seed(env, "mail")
    pin = Path(env["SECRETS_HOME"]) / "pinpal" / PIN_FILE
    pinned = pin.read_text()
    pin.unlink()
    assert run("pinpal", "list", env=env).returncode == 0
    assert pin.read_text() == pinned
    assert oct(pin.stat().st_mode & 0o777) == "0o600"


def test_a_crash_after_the_new_key_is_stored_leaves_the_old_vault_trusted(
    env: dict[str, str],
) -> None:
    seed(env, "mail")
    state = Path(env["SECRETS_HOME"]) / "pinpal"
    keyring = plain_keyring(env)
    before = (state / VAULT_FILE).read_bytes()

    class Crashing:
        def get_password(self, service: str, username: str) -> str | None:
            found: str | None = keyring.get_password(service, username)
            return found

        def set_password(self, service: str, username: str, password: str) -> None:
            keyring.set_password(service, username, password)
            raise SystemExit("killed after the new key, before the vault write")

        def delete_password(self, service: str, username: str) -> None:
            raise AssertionError("nothing is deleted before the vault is rewritten")

    with pytest.raises(SystemExit):
        VaultStore(state / VAULT_FILE, Crashing).rekey()
    assert (state / VAULT_FILE).read_bytes() == before
    pin = read_pin(state / PIN_FILE)
    assert pin is not None
    assert pin.next is not None
    assert len(keyring_secrets(env)) == 2
    listed = run("pinpal", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    # The key that never sealed anything is deleted; the old one still opens the vault.
    assert len(keyring_secrets(env)) == 1
    pin = read_pin(state / PIN_FILE)
    assert pin is not None
    assert pin.next is None
    assert cli_service(env).store.labels() == ["mail"]


def test_a_damaged_pin_trusts_nothing_in_one_line(env: dict[str, str]) -> None:
    seed(env, "mail")
    (Path(env["SECRETS_HOME"]) / "pinpal" / PIN_FILE).write_text("{not json")
    result = run("pinpal", "list", env=env)
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1
    assert "vault pin" in result.stderr
    assert "is damaged" in result.stderr
    assert "`pinpal start-over`" in result.stderr


def forgetting_drill(env: dict[str, str], tmp_path: Path, answers: str) -> tuple[int, str]:
    """A drill in which each of two labels' right answer forgets a token.

    A copy of the vault is taken before it; afterwards the copy must open
    with no secret left in the keyring. Returns the exit status and the output.
    """
    secrets = {"bank": "4711", "mail": "alpha beta"}
    when = one_answer_from_forgetting(env, secrets)
    copies = Copier(Path(env["SECRETS_HOME"]) / "pinpal" / VAULT_FILE, tmp_path / "copies")
    copy = copies.take()
    assert opens(copy, plain_keyring(env))
    stored = {**env, "PINPAL_TEST_CLOCK": "1"}
    result = run("pinpal", "--now", str(when), "drill", input=answers, env=stored)
    left = keyring_secrets(env)
    assert len(left) == 1
    assert not opens(copy, plain_keyring(env))
    assert not opens(copy, Always(left[0]))
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("answers", "status", "forgotten"),
    [
        pytest.param("4711\nalpha beta\n", 0, 2, id="both-answered"),
        # The re-key owed by the first answer is not lost when the second
        # prompt gets no answer and the command fails.
        pytest.param("4711\n", 2, 1, id="fails-after-the-first"),
    ],
)
def test_a_drill_that_forgets_shreds_every_earlier_copy_once(
    env: dict[str, str], tmp_path: Path, answers: str, status: int, forgotten: int
) -> None:
    exit_status, said = forgetting_drill(env, tmp_path, answers)
    assert exit_status == status, said
    assert said.count("PINPal has now forgotten") == forgotten, said
    assert said.count("error:") == (status != 0), said


def test_a_batch_rekeys_once_as_it_ends_and_outside_one_at_once(tmp_path: Path) -> None:
    store = MemoryStore()
    service = Pinpal(store, tmp_path, FakeClock(), lambda: TINY_SCRYPT, seeded_entropy(5))
    for label in ("a", "b", "c", "d"):
        service.new(label, generate_words(2, service.entropy))
    service.drop("a")
    assert store.rekeys == 1
    with service.batch():
        service.drop("b")
        with service.batch():
            service.drop("c")
        assert store.rekeys == 1  # owed, until the outermost batch ends
    assert store.rekeys == 2

    def interrupted() -> None:
        with service.batch():
            service.drop("d")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert store.rekeys == 3
    with service.batch():
        service.entries()
    assert store.rekeys == 3  # nothing left: nothing owed


def test_a_drill_killed_before_its_rekey_leaves_the_debt_to_the_next_command(
    env: dict[str, str], tmp_path: Path
) -> None:
    import signal

    from tests.pinpal.helpers import spawn

    secrets = {"bank": "4711", "mail": "alpha beta"}
    when = one_answer_from_forgetting(env, secrets)
    copies = Copier(Path(env["SECRETS_HOME"]) / "pinpal" / VAULT_FILE, tmp_path / "copies")
    copy = copies.take()
    child = spawn({**env, "PINPAL_TEST_CLOCK": "1"}, "--now", str(when), "drill")
    child.expect("bank")
    child.expect_exact(": ")
    child.sendline("4711")
    child.expect_exact("PINPal has now forgotten")
    child.expect("mail")
    child.expect_exact(": ")
    child.kill(signal.SIGKILL)  # a closed terminal, an OOM kill: no `finally` runs
    child.wait()
    pin = read_pin(Path(env["SECRETS_HOME"]) / "pinpal" / PIN_FILE)
    assert pin is not None
    assert pin.owed
    assert opens(copy, plain_keyring(env))  # the forgotten token is still in this copy

    # The next command that opens the vault pays the debt.
    listed = run("pinpal", "list", env={**env, "SECRETS_NO_FAST_PATH": "1"})
    assert listed.returncode == 0, listed.stderr
    left = keyring_secrets(env)
    assert len(left) == 1
    assert not opens(copy, plain_keyring(env))
    assert not opens(copy, Always(left[0]))
    settled = read_pin(Path(env["SECRETS_HOME"]) / "pinpal" / PIN_FILE)
    assert settled is not None
    assert not settled.owed


def test_a_debt_found_while_another_command_holds_the_lock_is_kept(tmp_path: Path) -> None:
    from pinpal.storage.locking import exclusive

    store = MemoryStore()
    service = Pinpal(store, tmp_path, FakeClock(), lambda: TINY_SCRYPT, seeded_entropy(6))
    for label in ("a", "b"):
        service.new(label, generate_words(2, service.entropy))
    owing = service.batch()
    owing.__enter__()
    service.drop("a")  # plaintext left; the re-key is owed as the batch ends...
    assert store.owed
    assert store.rekeys == 0
    # ...which it never does: the process died. The next command finds the debt.
    later = Pinpal(store, tmp_path, FakeClock(), lambda: TINY_SCRYPT, seeded_entropy(7))
    with exclusive(tmp_path):  # another PINPal command is at work: it will pay
        later.settle()
    assert (store.rekeys, store.owed) == (0, True)
    later.settle()
    assert (store.rekeys, store.owed) == (1, False)
