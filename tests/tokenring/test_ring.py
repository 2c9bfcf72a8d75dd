"""How TokenRing names its entries in the shared vault, and how long it waits for the lock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secrets_common.errors import UsageError
from tokenring.ring import DEFAULT_LOCK_TIMEOUT, entry_name, lock_timeout, parse_entry_name


@given(service=st.text(), user=st.text())
def test_entry_names_round_trip(service: str, user: str) -> None:
    assert parse_entry_name(entry_name(service, user)) == (service, user)


@given(a=st.tuples(st.text(), st.text()), b=st.tuples(st.text(), st.text()))
def test_distinct_entries_have_distinct_names(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert (entry_name(*a) == entry_name(*b)) == (a == b)


@pytest.mark.parametrize("name", ["pinpal:state", "[]", '["only one"]', '["a", 1]', "{}"])
def test_foreign_names_are_not_entries(name: str) -> None:
    assert parse_entry_name(name) is None


@given(seconds=st.floats(min_value=0, allow_infinity=False))
def test_a_lock_timeout_is_any_finite_number_of_seconds_from_zero(seconds: float) -> None:
    assert lock_timeout({"TOKENRING_LOCK_TIMEOUT": repr(seconds)}) == seconds


def test_an_unset_or_empty_lock_timeout_is_the_default() -> None:
    assert lock_timeout({}) == lock_timeout({"TOKENRING_LOCK_TIMEOUT": " "}) == DEFAULT_LOCK_TIMEOUT


@given(
    text=st.one_of(
        st.text().filter(lambda t: t.strip() and not _is_float(t)),
        st.floats(max_value=-1e-9).map(repr),
        st.sampled_from(["inf", "-inf", "nan", "Infinity"]),
    )
)
def test_a_bad_lock_timeout_is_echoed_back(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        lock_timeout({"TOKENRING_LOCK_TIMEOUT": text})
    message = str(raised.value)
    assert message.startswith("TOKENRING_LOCK_TIMEOUT must be ")
    assert message.endswith(f", not {text.strip()!r}")


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
