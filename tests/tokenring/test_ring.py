"""How TokenRing names its entries in the shared vault."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenring.ring import entry_name, parse_entry_name


@given(service=st.text(), user=st.text())
def test_entry_names_round_trip(service: str, user: str) -> None:
    assert parse_entry_name(entry_name(service, user)) == (service, user)


@given(a=st.tuples(st.text(), st.text()), b=st.tuples(st.text(), st.text()))
def test_distinct_entries_have_distinct_names(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert (entry_name(*a) == entry_name(*b)) == (a == b)


@pytest.mark.parametrize("name", ["pinpal:state", "[]", '["only one"]', '["a", 1]', "{}"])
def test_foreign_names_are_not_entries(name: str) -> None:
    assert parse_entry_name(name) is None
