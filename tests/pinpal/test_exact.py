"""A secret the user brings is trained and graded exactly as typed (issue 11 §2).

Unicode NFC is the only change made to it: every separator, every space and
letter case count. Generated secrets stay forgiving about case and spacing.
"""

from __future__ import annotations

import json
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from pinpal.learning import engine
from pinpal.learning.secretgen import existing_secret
from pinpal.storage.codec import decode_entry, encode_entry
from tests.cli import run
from tests.pinpal.helpers import START, cli_service, seed, tiny_verifier


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def record_of(text: str) -> engine.Memorization:
    secret = existing_secret(text)
    return engine.start(secret, tiny_verifier(secret), START)


def grade(record: engine.Memorization, answer: str) -> engine.Review:
    return engine.review(record, answer, START + 60)


# Lines a user can type: no line breaks, not blank, with the characters that
# splitting cares about (spaces, tabs, dashes, letters of either case, a
# combining accent that NFC composes) well represented.
typed = st.text(
    alphabet=st.one_of(
        st.sampled_from([" ", "\t", "-", "a", "A", "e", "\u0301", "é", "1"]),
        st.characters(blacklist_categories=("Cs", "Cc")),
    ),
    min_size=1,
    max_size=24,
).filter(lambda text: text.strip() != "")


@settings(max_examples=150, deadline=None)
@given(typed)
def test_what_was_typed_grades_right_after_nfc(text: str) -> None:
    record = record_of(text)
    assert existing_secret(text).text == nfc(text)
    assert grade(record, text).correct
    assert grade(record, nfc(text)).correct
    assert grade(record, unicodedata.normalize("NFD", text)).correct


def variants(text: str) -> list[str]:
    return [
        text.strip(),
        f" {text}",
        f"{text} ",
        text.replace(" ", "  "),
        text.replace("  ", " "),
        text.replace("-", ""),
        text.replace("-", " "),
        text.replace(" ", "-"),
        text.replace("--", "-"),
        text.swapcase(),
        text.upper(),
        text.lower(),
        " ".join(text.split()),
        "-".join(part for part in text.split("-") if part),
    ]


@settings(max_examples=150, deadline=None)
@given(typed, st.data())
def test_anything_else_grades_wrong(text: str, data: st.DataObject) -> None:
    record = record_of(text)
    other = data.draw(st.one_of(st.sampled_from(variants(text)), typed))
    review = grade(record, other)
    assert review.correct == (nfc(other) == nfc(text))


def test_the_parts_are_for_display_and_the_separators_stay() -> None:
    dashy = record_of("-abc--def-")
    assert [p.token for p in dashy.positions] == ["abc", "def"]
    assert dashy.hint() == "-abc--def-"
    spaced = record_of("  two  spaces ")
    assert spaced.hint() == '"  two  spaces "'
    missed = grade(spaced, "two spaces")
    assert not missed.correct
    assert missed.wrong_gaps
    assert not missed.wrong_positions


def test_a_learned_exact_secret_keeps_neither_tokens_nor_gaps() -> None:
    record = record_of("-abc--def-")
    now = START
    for _ in range(200):
        now = max(now + 60, record.due_at())
        review = engine.review(record, "-abc--def-", now)
        assert review.correct
        record = review.record
        if record.learned:
            break
    assert record.learned
    assert record.gaps == ()
    stored = encode_entry_text(record)
    assert "abc" not in stored
    assert json.loads(stored)["current"]["gaps"] == []


def encode_entry_text(record: engine.Memorization) -> str:
    from pinpal.storage.codec import LabelEntry

    return encode_entry(LabelEntry("x", record)).decode("utf-8")


def test_a_version_1_record_of_an_existing_secret_stays_forgiving() -> None:
    # Written before format 2: hashed in the canonical form, graded that way.
    secret = existing_secret("abc-def")
    canonical = secret.separator.join(secret.tokens)
    old = engine.start(secret, tiny_verifier(secret), START)
    document = json.loads(encode_entry_text(old))
    document["version"] = 1
    for key in ("exact", "gaps"):
        del document["current"][key]
    assert canonical == "abc-def"
    read = decode_entry(json.dumps(document).encode("utf-8"), "x").current
    assert not read.exact
    assert grade(read, "-abc--def-").correct


def test_generated_passphrases_stay_forgiving() -> None:
    from pinpal.learning.secretgen import generate_words
    from tests.pinpal.helpers import seeded_entropy

    secret = generate_words(3, seeded_entropy(1))
    record = engine.start(secret, tiny_verifier(secret), START)
    assert not record.exact
    assert grade(record, f"  {secret.text.upper().replace(' ', '   ')} ").correct


def answer_with(env: dict[str, str], label: str, answer: str) -> str:
    result = run("pinpal", "test", label, input=f"{answer}\n", env=env)
    return result.stdout


def test_new_existing_on_the_command_line_grades_exactly(env: dict[str, str]) -> None:
    for label, secret, loose in (
        ("dashy", "-abc--def-", "abc-def"),
        ("spacy", "  two  spaces ", "two spaces"),
        ("cased", "Tr0ub4dor", "tr0ub4dor"),
    ):
        made = run("pinpal", "new", label, "--existing", input=f"{secret}\n{secret}\n", env=env)
        assert made.returncode == 0, made.stderr
        entry = cli_service(env).entry(label)
        assert entry.current.exact
        assert json.loads(encode_entry(entry))["version"] == 2
        assert "not quite" in answer_with(env, label, loose)
        assert "right." in answer_with(env, label, secret)
    assert "spaces or dashes" in answer_with(env, "spacy", "two spaces")


def test_rotate_existing_is_exact_too(env: dict[str, str]) -> None:
    seed(env, "mail")
    rotated = run("pinpal", "rotate", "mail", "--existing", input="a  b\na  b\n", env=env)
    assert rotated.returncode == 0, rotated.stderr
    assert cli_service(env).entry("mail").current.exact
