from __future__ import annotations

import hashlib
import math
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinpal.learning.secretgen import (
    Kind,
    existing_secret,
    generate_digits,
    generate_words,
    split_answer,
)
from pinpal.learning.wordlist import eff_large_wordlist
from secrets_common.errors import UsageError
from tests.pinpal.helpers import seeded_entropy

EFF_SHA256 = "addd35536511597a02fa0a9ff1e5284677b8883b83e986e43f15a3db996b903e"


def test_shipped_wordlist_is_the_published_eff_list() -> None:
    data = (
        resources.files("pinpal.learning")
        .joinpath("wordlists", "eff_large_wordlist.txt")
        .read_bytes()
    )
    assert hashlib.sha256(data).hexdigest() == EFF_SHA256
    words = eff_large_wordlist()
    assert len(words) == len(set(words)) == 7776
    assert (words[0], words[-1]) == ("abacus", "zoom")


def test_licence_ships_beside_the_list() -> None:
    text = resources.files("pinpal.learning").joinpath("wordlists", "LICENSE-eff.txt").read_text()
    assert "CC BY 3.0 US" in text
    assert "Electronic Frontier Foundation" in text


def test_words_come_from_the_list_with_their_strength() -> None:
    secret = generate_words(5, seeded_entropy(1))
    assert secret.kind is Kind.WORDS
    assert len(secret.tokens) == 5
    assert set(secret.tokens) <= set(eff_large_wordlist())
    assert secret.bits == pytest.approx(5 * math.log2(7776))
    assert secret.text == " ".join(secret.tokens)


def test_digits_and_their_strength() -> None:
    secret = generate_digits(6, seeded_entropy(2))
    assert len(secret.text) == 6
    assert secret.text.isdigit()
    assert secret.bits == pytest.approx(6 * math.log2(10))


def test_repr_never_shows_the_secret() -> None:
    secret = generate_words(3, seeded_entropy(3))
    assert all(token not in repr(secret) for token in secret.tokens)


@pytest.mark.parametrize("count", [0, -1, 25])
def test_word_count_out_of_range_is_a_usage_error(count: int) -> None:
    with pytest.raises(UsageError, match="--words"):
        generate_words(count, seeded_entropy(0))


def test_existing_secrets_are_split_sensibly() -> None:
    assert existing_secret("correct horse  battery").tokens == ("correct", "horse", "battery")
    assert existing_secret("ABCD-EFGH-IJKL").tokens == ("ABCD", "EFGH", "IJKL")
    assert existing_secret("ABCD-EFGH-IJKL").separator == "-"
    assert existing_secret(" 0421 ").tokens == ("0", "4", "2", "1")
    assert existing_secret("0421").bits is None
    with pytest.raises(UsageError):
        existing_secret("   ")


@given(st.lists(st.sampled_from(["alpha", "Bravo", "charlie"]), min_size=1, max_size=6))
def test_typed_words_forgive_case_and_spacing(words: list[str]) -> None:
    typed = "  " + "   ".join(words).upper() + " "
    assert split_answer(typed, " ", lowercase=True) == tuple(w.lower() for w in words)


def test_typed_digits_ignore_spaces() -> None:
    assert split_answer("12 34", "", lowercase=False) == ("1", "2", "3", "4")
    assert split_answer("ab-cd", "-", lowercase=False) == ("ab", "cd")
