"""Frames: round trips, limits, and every way a frame can be bad."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenring.agent import protocol
from tokenring.agent.peercred import PeerRefused, check_peer, process_name

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(message=st.dictionaries(st.text(max_size=10).filter(lambda k: k != "v"), json_values))
def test_round_trip_over_a_socket(message: dict[str, Any]) -> None:
    left, right = socket.socketpair()
    with left, right:
        protocol.write_frame(left, message)
        assert protocol.read_frame(right) == {"v": protocol.VERSION, **message}


@given(cut=st.integers(min_value=1, max_value=30))
def test_truncated_frames_are_protocol_errors(cut: int) -> None:
    frame = protocol.encode({"op": "status", "padding": "x" * 20})
    left, right = socket.socketpair()
    with left, right:
        left.sendall(frame[: len(frame) - cut])
        left.shutdown(socket.SHUT_WR)
        with pytest.raises(protocol.ProtocolError, match="truncated"):
            protocol.read_frame(right)


def test_a_clean_close_between_frames_is_not_an_error_of_the_peer() -> None:
    left, right = socket.socketpair()
    with left, right:
        left.shutdown(socket.SHUT_WR)
        with pytest.raises(protocol.ConnectionClosed):
            protocol.read_frame(right)


def test_oversized_frames_are_refused_both_ways() -> None:
    with pytest.raises(protocol.ProtocolError, match="exceeds"):
        protocol.encode({"value": "x" * protocol.MAX_FRAME})
    left, right = socket.socketpair()
    with left, right:
        left.sendall((protocol.MAX_FRAME + 1).to_bytes(4, "big"))
        with pytest.raises(protocol.ProtocolError, match="exceeds"):
            protocol.read_frame(right)


@pytest.mark.parametrize(
    "payload", [b"\xff", b"[1]", b'{"v": 2}', b'{"op": "get"}', b"nul\x00"], ids=repr
)
def test_bad_payloads(payload: bytes) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(payload)


def test_peer_check_with_a_real_unix_socket(tmp_path: object) -> None:
    """SO_PEERCRED on a real connection; refusal of another uid.

    A second user cannot be created here, so refusal is shown by asking the
    check to expect a uid that is not ours: the same comparison that turns
    away a real stranger.
    """
    left, right = socket.socketpair()
    with left, right:
        credentials = check_peer(right, expected_uid=os.getuid())
        assert credentials.uid == os.getuid()
        assert credentials.pid == os.getpid()
        with pytest.raises(PeerRefused, match=f"uid {os.getuid()}"):
            check_peer(right, expected_uid=os.getuid() + 1)


def test_process_names_are_printable_and_short() -> None:
    assert process_name(os.getpid())
    assert process_name(None) == "a process"
    assert process_name(2**22 + 12345) == "a process"
