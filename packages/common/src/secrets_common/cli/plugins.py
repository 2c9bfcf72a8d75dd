"""The ``secrets`` command groups, read from the installed metadata directly.

Importing :mod:`importlib.metadata` (email, zipfile, csv, pathlib) costs
``secrets ring status`` more than the command itself. Where every
distribution is a ``*.dist-info`` or ``*.egg-info`` directory on
``sys.path`` — any virtualenv, pipx or system install — the same entry
points are found by reading their ``entry_points.txt`` directly, with the
same precedence (the first distribution of a name on ``sys.path`` wins, and
of two groups with one name the later). Anything else (a zipped path entry, a
finder that provides distributions of its own) makes :func:`scan` answer
None, and the caller asks :mod:`importlib.metadata`. Standard library only.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs the fast paths more than this whole module
if TYPE_CHECKING:
    from collections.abc import Iterator

_SUFFIXES = (".dist-info", ".egg-info")


def _normalized(name: str) -> str:
    """As importlib.metadata compares names: runs of ``-_.`` as one ``_``, lower case."""
    for mark in "-.":
        name = name.replace(mark, "_")
    while "__" in name:
        name = name.replace("__", "_")
    return name.lower()


def _distributions() -> Iterator[str] | None:
    """Each distribution's metadata directory in ``sys.path`` order; None: some are unreadable."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and getattr(finder, "find_distributions", None) is not None:
            return None
    found: list[str] = []
    for entry in sys.path:
        where = entry or "."
        if not os.path.isdir(where):
            if os.path.exists(where):  # a zip file: importlib.metadata reads those
                return None
            continue
        try:
            names = os.listdir(where)
        except OSError:
            return None
        # As importlib.metadata looks: directory order, .dist-info before .egg-info.
        for suffix in _SUFFIXES:
            found += [os.path.join(where, n) for n in names if n.endswith(suffix)]
    return iter(found)


def _group_entries(text: str, group: str) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line:
            name, _, value = line.partition("=")
            entries.append((name.strip(), value.strip()))
    return entries


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except OSError:
        return None


def _distribution_name(directory: str) -> str:
    """The ``Name:`` in the metadata (as ``EntryPoint.dist.name`` gives it); empty if none."""
    for file in ("METADATA", "PKG-INFO"):
        text = _read(os.path.join(directory, file))
        if text is None:
            continue
        for line in text.splitlines():
            if not line:
                break
            if line.lower().startswith("name:"):
                return line[5:].strip()
    return ""  # importlib.metadata's name is None then


def scan(group: str) -> dict[str, tuple[str, str]] | None:
    """``{name: (object reference, distribution name)}`` of ``group``; None: ask importlib."""
    directories = _distributions()
    if directories is None:
        return None
    seen: set[str] = set()
    groups: dict[str, tuple[str, str]] = {}
    for directory in directories:
        stem = os.path.basename(directory).rpartition(".")[0]
        key = _normalized(stem.partition("-")[0])
        if key in seen:
            continue
        seen.add(key)
        text = _read(os.path.join(directory, "entry_points.txt"))
        if text is None or f"[{group}]" not in text:
            continue
        entries = _group_entries(text, group)
        if entries:
            distribution = _distribution_name(directory)
            for name, value in entries:
                groups[name] = (value, distribution)
    return groups


def load(reference: str) -> object:
    """What an entry point's ``module:attribute`` names, imported (as ``EntryPoint.load``)."""
    from importlib import import_module

    module_name, _, attribute = reference.partition(":")
    loaded: object = import_module(module_name.strip())
    for part in attribute.strip().split(".") if attribute.strip() else ():
        loaded = getattr(loaded, part)
    return loaded
