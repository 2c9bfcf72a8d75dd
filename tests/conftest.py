"""Shared fixtures: every test gets its own SECRETS_HOME and never a real key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.leftover_agents import stop_agents_under
from tests.pcsc import SOCKET_VARIABLE, Pcscd, require_tools, running_pcscd

# Shared CI machines are noisy: no per-example deadline, no flaky timing checks.
settings.register_profile(
    "default",
    deadline=None,
    max_examples=50,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private SECRETS_HOME, no agent socket of the developer's, no debug."""
    home = tmp_path / "secrets-home"
    monkeypatch.setenv("SECRETS_HOME", str(home))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    for variable in ("SECRETS_DEBUG", "SECRETS_AUTHENTICATOR", "SECRETS_SOFT_PRESENCE"):
        monkeypatch.delenv(variable, raising=False)
    # End-to-end tests learn secrets over simulated days: `pinpal --now` stores.
    monkeypatch.setenv("PINPAL_TEST_CLOCK", "1")
    # Their keyring is keyrings.alt's file, which PINPal refuses unless told.
    monkeypatch.setenv("PINPAL_ALLOW_PLAINTEXT_KEYRING", "1")
    return home


@pytest.fixture(autouse=True)
def no_agent_left_behind(tmp_path: Path) -> Iterator[None]:
    """Agents that clients started on demand during the test are stopped after it."""
    yield
    stop_agents_under(tmp_path)


@pytest.fixture(scope="session", autouse=True)
def private_pcsc_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every PC/SC client of the session talks to the tests' own pcscd, never the machine's.

    Set once for the whole session: the PC/SC library reads the variable the
    first time it connects and keeps it for the life of the process.
    """
    path = tmp_path_factory.mktemp("pcsc") / "pcscd.comm"
    previous = os.environ.get(SOCKET_VARIABLE)
    os.environ[SOCKET_VARIABLE] = str(path)
    yield path
    if previous is None:
        os.environ.pop(SOCKET_VARIABLE, None)
    else:
        os.environ[SOCKET_VARIABLE] = previous


@pytest.fixture(scope="session")
def pcscd(private_pcsc_socket: Path) -> Iterator[Pcscd]:
    """A private pcscd with vsmartcard's virtual reader, for the session."""
    require_tools()
    with running_pcscd(private_pcsc_socket.parent) as daemon:
        yield daemon
