"""Shared fixtures: every test gets its own SECRETS_HOME and never a real key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

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
    return home
