"""Each distribution says what is public (``__all__``) and ships its types (``py.typed``)."""

from __future__ import annotations

import importlib
import importlib.resources
import subprocess
import sys

import pytest

PACKAGES = ["secrets_common", "tokenring", "pinpal"]
# The modules the API reference documents: each lists its public names.
DOCUMENTED = [
    "secrets_common",
    "secrets_common.errors",
    "secrets_common.fido",
    "secrets_common.keysource",
    "secrets_common.soft",
    "secrets_common.vault",
    "tokenring",
    "tokenring.backend",
    "tokenring.service",
    "pinpal",
    "pinpal.service",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_package_ships_py_typed(package: str) -> None:
    assert importlib.resources.files(package).joinpath("py.typed").is_file()


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_public_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    public = module.__all__
    assert public, name
    assert len(set(public)) == len(public), name
    for attribute in public:
        assert getattr(module, attribute) is not None, (name, attribute)


def test_top_level_names_are_the_documented_classes() -> None:
    from pinpal.service import Pinpal
    from secrets_common.soft.device import SoftAuthenticator
    from tokenring.backend import TokenRingKeyring
    from tokenring.service import TokenRing

    assert importlib.import_module("tokenring").TokenRingKeyring is TokenRingKeyring
    assert importlib.import_module("tokenring").TokenRing is TokenRing
    assert importlib.import_module("pinpal").Pinpal is Pinpal
    assert importlib.import_module("secrets_common").SoftAuthenticator is SoftAuthenticator


@pytest.mark.parametrize("package", PACKAGES)
def test_importing_a_package_imports_nothing_of_its_own(package: str) -> None:
    """The lazy names stay lazy: the package alone loads no submodule."""
    code = (
        f"import sys, {package}; "
        f"print(sorted(m for m in sys.modules if m.startswith('{package}.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
