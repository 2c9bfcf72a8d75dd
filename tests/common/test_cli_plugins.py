"""The light entry-point reader finds what importlib.metadata finds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secrets_common.cli import plugins
from secrets_common.cli.main import GROUP

if TYPE_CHECKING:
    import pytest


def in_fresh_interpreter(group: str, path: list[str] | None = None) -> tuple[Any, Any]:
    """scan() and importlib.metadata in a new interpreter, as `secrets` runs.

    Not in this process: the test session's own import hooks (a plugin's
    metadata finder) and importlib's caches would decide instead.
    """
    code = (
        "import json, sys; from importlib.metadata import entry_points;"
        "from secrets_common.cli import plugins;"
        f"path = {path!r};"
        # The standard library stays reachable: importlib.metadata imports
        # parts of it lazily (3.13's email, for a distribution's name).
        "stdlib = [p for p in sys.path if p and 'site-packages' not in p];"
        "sys.path[:] = sys.path if path is None else path + stdlib;"
        f"eps = {{e.name: [e.value, (e.dist.name if e.dist else None) or ''] "
        f"for e in entry_points(group={group!r})}};"
        f"print(json.dumps([plugins.scan({group!r}), eps]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found, expected = json.loads(done.stdout)
    return found, expected


def test_the_installed_groups_are_found_alike() -> None:
    found, expected = in_fresh_interpreter(GROUP)
    assert found == expected
    assert found["ring"] == ["tokenring.__main__", "tokenring"]


def test_a_finder_with_distributions_of_its_own_is_left_to_importlib(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Finder:
        def find_distributions(self, *_args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    assert plugins.scan(GROUP) is None


def dist_info(where: Path, name: str, version: str, entries: str, *, metadata: bool = True) -> None:
    directory = where / f"{name.replace('-', '_')}-{version}.dist-info"
    directory.mkdir(parents=True)
    if metadata:
        (directory / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not this\n"
        )
    (directory / "entry_points.txt").write_text(entries)


def test_precedence_and_parsing_match_importlib(tmp_path: Path) -> None:
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
    found, expected = in_fresh_interpreter("demo.group", [str(first), str(second)])
    assert found == expected
    assert found["beta"] == ["demo.beta:attr.inner", "Demo.Tool"]


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
