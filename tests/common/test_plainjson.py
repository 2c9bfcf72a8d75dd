"""plainjson writes what json.dumps writes, for the values commands print."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secrets_common.cli import plainjson

values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(values, st.sampled_from([None, 0, 2, 4]))
def test_same_text_as_json_dumps(value: Any, indent: int | None) -> None:
    assert plainjson.dumps(value, indent=indent) == json.dumps(value, indent=indent)


@pytest.mark.parametrize("value", [{"a": object()}, b"bytes", [set()]])
def test_what_json_refuses_is_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        plainjson.dumps(value)


def test_keys_must_be_text() -> None:
    # Narrower than json, which writes {1: "a"} as {"1": "a"}: no command prints such keys.
    with pytest.raises(TypeError):
        plainjson.dumps({1: "a"})
