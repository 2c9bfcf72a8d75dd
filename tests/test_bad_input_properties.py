"""Properties: whatever a state file or a vault header holds, the answer is a clean error.

A field of a good file is replaced by any JSON value (or removed); opening
must then either work or raise the toolkit's own error, never another
exception (which the CLI would report as an internal bug, exit 70).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fido2.ctap2.base import Ctap2
from hypothesis import given
from hypothesis import strategies as st

from secrets_common.errors import SecretsError
from secrets_common.soft import SoftAuthenticator, SoftStateError
from secrets_common.vault import NewKeyringSlot, NewRecoverySlot, Opener, Vault
from tests.common.vault_strategies import CHEAP_SCRYPT, MemoryKeyring

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "00" * 16, "00" * 32, "AAAA", "authenticator", "recovery"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
REMOVE = object()


def field_paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index inside ``document``, as a path from the top."""
    found = []
    children = (
        document.items()
        if isinstance(document, dict)
        else enumerate(document)
        if isinstance(document, list)
        else ()
    )
    for key, child in children:
        found.append((*prefix, key))
        found.extend(field_paths(child, (*prefix, key)))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: object) -> Any:
    copy = json.loads(json.dumps(document))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if value is REMOVE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


@pytest.fixture(scope="module")
def good_state(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    key = tmp_path_factory.mktemp("state") / "key.json"
    Ctap2(SoftAuthenticator(key))
    document: dict[str, Any] = json.loads(key.read_text())
    return document


@given(data=st.data())
def test_any_field_of_a_state_file_opens_or_is_a_state_error(
    tmp_path: Path, good_state: dict[str, Any], data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(field_paths(good_state)))
    value = data.draw(st.just(REMOVE) | json_values)
    key = tmp_path / "key.json"
    key.write_text(json.dumps(replaced(good_state, path, value)))
    message = ""
    try:
        Ctap2(SoftAuthenticator(key))
    except SoftStateError as error:
        message = str(error)
    assert "\n" not in message


@pytest.fixture(scope="module")
def good_vault(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], bytes, str]:
    """A vault's header (parsed), its encrypted body, and its recovery code."""
    directory = tmp_path_factory.mktemp("vault")
    os.chmod(directory, 0o700)
    vault, code = Vault.create(
        directory / "v",
        NewKeyringSlot(MemoryKeyring()),
        recovery=NewRecoverySlot(scrypt=CHEAP_SCRYPT),
    )
    vault.write("kept", b"value")
    line, body = (directory / "v").read_bytes().split(b"\n", 1)
    assert code is not None
    return json.loads(line), body, code


@given(data=st.data())
def test_any_field_of_a_vault_header_opens_or_is_a_toolkit_error(
    tmp_path: Path, good_vault: tuple[dict[str, Any], bytes, str], data: st.DataObject
) -> None:
    header, body, code = good_vault
    path = data.draw(st.sampled_from(field_paths(header)))
    value = data.draw(st.just(REMOVE) | json_values)
    directory = tmp_path / "vaults"
    directory.mkdir(mode=0o700, exist_ok=True)
    target = directory / "v"
    target.write_bytes(json.dumps(replaced(header, path, value)).encode() + b"\n" + body)
    os.chmod(target, 0o600)
    message = None
    try:
        vault = Vault.open(target)
        vault.slots()
        value_read = vault.read("kept", Opener(recovery_code=code), reason="test")
    except SecretsError as error:
        message = str(error)
    if message is None:
        assert value_read == b"value"  # never a wrong value
    else:
        assert "\n" not in message
        assert len(message) < 400
