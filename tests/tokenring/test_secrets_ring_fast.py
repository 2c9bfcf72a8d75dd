"""``secrets ring ...`` reaches tokenring's fast paths: no importlib.metadata, no typer."""

from __future__ import annotations

from pathlib import Path

from tests.common.test_token_fast_path import FRAMEWORK, both_paths, top_level
from tests.tokenring.conftest import SharedAgent
from tests.tokenring.test_fast_path import _COUNTDOWN


def test_secrets_ring_finds_its_group_without_importlib_metadata(shared_agent: SharedAgent) -> None:
    got, modules = both_paths("ring", "status", env={}, mask=lambda text: _COUNTDOWN.sub("N", text))
    assert got.returncode == 0
    assert got.stdout.startswith("agent pid ")
    assert "tokenring.agent.client" in modules
    assert "importlib.metadata" not in modules
    assert not top_level(modules) & FRAMEWORK


def test_secrets_ring_hints_name_secrets_ring(tmp_path: Path) -> None:
    env = {"TOKENRING_VAULT": str(tmp_path / "none")}
    got, modules = both_paths("ring", "slots", env=env)
    assert got.returncode == 1
    assert "`secrets ring init`" in got.stderr
    assert not top_level(modules) & FRAMEWORK
