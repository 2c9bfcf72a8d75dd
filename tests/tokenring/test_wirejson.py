"""The frames' JSON agrees with the json module, both ways."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenring.agent import wirejson

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(value=values)
def test_dumps_writes_what_json_writes(value: Any) -> None:
    assert wirejson.dumps(value) == json.dumps(value, separators=(",", ":"))


@given(value=values, indent=st.sampled_from([None, 2]))
def test_loads_reads_what_json_writes(value: Any, indent: int | None) -> None:
    assert wirejson.loads(json.dumps(value, indent=indent)) == value


@pytest.mark.parametrize(
    "text", ["", "{", '{"a":}', "[1,]", "nope", '{"a":1} extra', "NaN", "[Infinity]", '"\x00"']
)
def test_not_json_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the whole contract is "a ValueError"
        wirejson.loads(text)


@pytest.mark.parametrize("value", [math.nan, math.inf, {1: "a"}, {"a": object()}, b"bytes"])
def test_what_json_cannot_hold_is_refused(value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        wirejson.dumps(value)
