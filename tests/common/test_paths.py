"""Where state lives, and the private directories it lives in."""

from __future__ import annotations

import stat
from pathlib import Path

import platformdirs
import pytest

from secrets_common.errors import VaultError
from secrets_common.home import APP_NAME
from secrets_common.paths import ensure_private_dir, secrets_home


def test_secrets_home_variable_wins(tmp_path: Path) -> None:
    assert secrets_home({"SECRETS_HOME": str(tmp_path)}) == tmp_path


@pytest.mark.parametrize("xdg", [None, "", "  ", "/srv/data"])
def test_default_matches_platformdirs(monkeypatch: pytest.MonkeyPatch, xdg: str | None) -> None:
    monkeypatch.delenv("SECRETS_HOME", raising=False)
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    expected = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    assert secrets_home() == expected


def test_private_dir_is_created_0700(tmp_path: Path) -> None:
    target = ensure_private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE(target.stat().st_mode) == 0o700


def test_group_writable_dir_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o770)
    with pytest.raises(VaultError, match="writable by other users"):
        ensure_private_dir(shared)


def test_missing_parents_are_created_0700_too(tmp_path: Path) -> None:
    ensure_private_dir(tmp_path / "new" / "deeper" / "home")
    for directory in ("new", "new/deeper", "new/deeper/home"):
        assert stat.S_IMODE((tmp_path / directory).stat().st_mode) == 0o700


def test_a_file_in_the_way_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(VaultError, match="cannot create the directory"):
        ensure_private_dir(tmp_path / "file" / "home")
