"""The three distributions are released in lockstep, from one VERSION file."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import distribution
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTIONS = {"secrets-common": "common", "tokenring": "tokenring", "pinpal": "pinpal"}
CALVER = re.compile(r"^(\d{4})\.(1[0-2]|[1-9])\.(3[01]|[12]\d|[1-9])(\.\d+)?$")


def release_version() -> str:
    return (ROOT / "VERSION").read_text(encoding="utf-8").strip()


def test_version_is_calendar_versioning() -> None:
    assert CALVER.match(release_version()), release_version()


@pytest.mark.parametrize("folder", DISTRIBUTIONS.values())
def test_no_package_writes_its_own_version(folder: str) -> None:
    project = tomllib.loads((ROOT / "packages" / folder / "pyproject.toml").read_text())["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert (ROOT / "packages" / folder / "VERSION").resolve() == (ROOT / "VERSION").resolve()


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_installed_distribution_has_the_release_version(name: str) -> None:
    assert distribution(name).version == release_version()


@pytest.mark.parametrize("name", ["tokenring", "pinpal"])
def test_tools_pin_the_core_to_exactly_the_release_version(name: str) -> None:
    requires = distribution(name).requires or []
    core = [r for r in requires if re.match(r"secrets[-_]common\b", r)]
    assert core == [f"secrets-common=={release_version()}"]


def test_every_package_carries_the_same_lockstep_hook() -> None:
    hooks = {
        (ROOT / "packages" / f / "hatch_build.py").read_bytes() for f in DISTRIBUTIONS.values()
    }
    assert len(hooks) == 1


def test_every_package_carries_the_root_licence() -> None:
    licence = (ROOT / "LICENSE").read_bytes()
    for folder in DISTRIBUTIONS.values():
        assert (ROOT / "packages" / folder / "LICENSE").read_bytes() == licence
