"""Hatchling metadata hook that releases the three distributions in lockstep.

The release version is written once, in the repository's ``VERSION`` file.
Each package reaches it through a ``VERSION`` symlink beside its own
``pyproject.toml`` (sdists carry the file's content), and every sibling
distribution named in ``lockstep`` is pinned to exactly that version.

Every package carries an identical copy of this file, because an sdist must
build on its own; tests/test_lockstep.py holds the copies equal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface


class LockstepMetadataHook(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        version = Path(self.root, "VERSION").read_text(encoding="utf-8").strip()
        metadata["version"] = version
        pinned = [f"{name}=={version}" for name in self.config.get("lockstep", [])]
        metadata["dependencies"] = pinned + list(self.config.get("dependencies", []))
