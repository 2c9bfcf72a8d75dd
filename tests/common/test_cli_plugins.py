"""The light entry-point reader finds what importlib.metadata finds."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from secrets_common.cli import plugins
from secrets_common.cli.main import GROUP

if TYPE_CHECKING:
    import pytest


def by_importlib(group: str) -> dict[str, tuple[str, str]]:
    return {
        ep.name: (ep.value, (ep.dist.name if ep.dist else None) or "")
        for ep in entry_points(group=group)
    }


def test_the_installed_groups_are_found_alike() -> None:
    found = plugins.scan(GROUP)
    assert found is not None
    assert found == by_importlib(GROUP)
    assert found["ring"] == ("tokenring.__main__", "tokenring")


def dist_info(where: Path, name: str, version: str, entries: str, *, metadata: bool = True) -> None:
    directory = where / f"{name.replace('-', '_')}-{version}.dist-info"
    directory.mkdir(parents=True)
    if metadata:
        (directory / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not this\n"
        )
    (directory / "entry_points.txt").write_text(entries)


def test_precedence_and_parsing_match_importlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    dist_info(
        first,
        "Demo.Tool",
        "1.0",
        "[console_scripts]\nring = nope:main\n\n# a comment\n[demo.group]\n"
        "alpha = demo.first\n  beta=demo.beta:attr.inner  \n",
    )
    dist_info(second, "demo-tool", "2.0", "[demo.group]\nalpha = demo.shadowed\n")
    dist_info(second, "other", "3.0", "[demo.group]\nalpha = other.later\ngamma = other.g\n")
    dist_info(second, "nameless", "4.0", "[demo.group]\ndelta = x.y\n", metadata=False)
    monkeypatch.setattr(sys, "path", [str(first), str(second)])
    found = plugins.scan("demo.group")
    assert found == by_importlib("demo.group")
    assert found is not None
    assert found["beta"] == ("demo.beta:attr.inner", "Demo.Tool")


def test_a_zipped_path_entry_is_left_to_importlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "some.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert plugins.scan(GROUP) is None


def test_load_follows_the_attribute_path() -> None:
    assert plugins.load("secrets_common.cli.plugins:scan") is plugins.scan
    assert plugins.load("secrets_common.cli.plugins") is plugins
