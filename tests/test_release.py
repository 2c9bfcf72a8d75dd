"""Releasing: the workflows keep their promises, and ``nox -s release`` uploads to a real index."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
VERSION = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
OURS = {"secrets-common", "tokenring", "pinpal"}


def workflow(name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def test_every_action_is_pinned_by_full_commit_sha() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        for job in workflow(path.name)["jobs"].values():
            for step in steps(job):
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step


def test_release_publishes_by_trusted_publishing_only_after_the_build() -> None:
    release = workflow("release.yml")
    # yaml reads the key `on` as True.
    assert release[True]["push"]["tags"] == ["v[0-9][0-9][0-9][0-9].[0-9]*"]
    assert release["permissions"] == {"contents": "read"}
    build, publish = release["jobs"]["build"], release["jobs"]["publish"]
    assert any(step.get("run", "").endswith("nox -s build") for step in steps(build))
    assert "permissions" not in build
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    uploads = [s for s in steps(publish) if s["uses"].startswith("pypa/gh-action-pypi-publish@")]
    assert len(uploads) == 1
    assert uploads[0]["with"]["attestations"] is True
    # Everything but the comments, which may say what is absent.
    text = yaml.safe_dump(release).lower().replace("id-token", "")
    assert re.search(r"password|\btoken\b|secrets\.|twine_", text) is None


def test_release_refuses_a_tag_other_than_version() -> None:
    check = next(
        s for s in steps(workflow("release.yml")["jobs"]["build"]) if "TAG" in s.get("env", {})
    )
    script = check["run"]
    for tag, ok in [
        (f"v{VERSION}", True),
        (f"v{VERSION}.1", False),  # a valid form, but not what VERSION says
        ("v2026.1.01", False),
        ("vnext", False),
    ]:
        ran = subprocess.run(
            ["bash", "-c", script],
            cwd=ROOT,
            env={**os.environ, "TAG": tag},
            capture_output=True,
            text=True,
            check=False,
        )
        assert (ran.returncode == 0) == ok, (tag, ran.stdout)


def test_ci_runs_the_readme_test_command_on_three_systems() -> None:
    from tests.test_readme import quickstart

    ci = workflow("ci.yml")
    job = ci["jobs"]["tests"]
    assert job["strategy"]["matrix"]["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    setup = next(
        s for s in steps(job) if s["uses"].startswith("actions/setup-python@") if "uses" in s
    )
    assert setup["with"]["python-version"].split() == ["3.11", "3.12", "3.13"]
    runs = [line.strip() for s in steps(job) for line in s.get("run", "").splitlines()]
    assert quickstart()[1] in runs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def runtime_dependencies(wheels: list[Path]) -> list[str]:
    """The third-party requirements of our wheels (ours come from the index under test)."""
    found: set[str] = set()
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
        for requirement in metadata.get_all("Requires-Dist") or []:
            if "extra ==" in requirement:
                continue
            project = re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]
            if project.lower() not in OURS:
                found.add(requirement.split(";")[0].strip())
    return sorted(found)


def wait_for(url: str) -> None:
    for _ in range(200):
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a local http URL
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


@pytest.mark.slow
def test_nox_release_uploads_to_a_local_index_that_pip_installs_from(tmp_path: Path) -> None:
    # A copy of the work tree, so that its dist/ and .nox/ are this test's own.
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        tree,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv*",
            ".nox",
            "dist",
            "build",
            "*.egg-info",
            "__pycache__",
            ".*_cache",
            ".demo",
            ".hypothesis",
            "_build",
        ),
    )
    for package in ("common", "tokenring", "pinpal"):
        subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(tree / "dist"), f"packages/{package}"],
            cwd=tree,
            check=True,
            capture_output=True,
        )
    served = tmp_path / "index"
    served.mkdir()
    port = free_port()
    log = (tmp_path / "pypiserver.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pypiserver",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--authenticate",
            ".",
            "--passwords",
            ".",
            "--disable-fallback",
            str(served),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/health")
        missing = subprocess.run(
            [sys.executable, "-m", "nox", "-s", "release"],
            cwd=tree,
            capture_output=True,
            text=True,
            check=False,
        )
        assert missing.returncode != 0
        assert "--repository-url" in missing.stderr
        uploaded = subprocess.run(
            [
                sys.executable,
                "-m",
                "nox",
                "-s",
                "release",
                "--",
                "--repository-url",
                f"{base}/",
                "--username",
                "local",
                "--password",
                "local",
            ],
            cwd=tree,
            capture_output=True,
            text=True,
            check=False,
        )
        assert uploaded.returncode == 0, uploaded.stderr[-3000:]
        assert len(list(served.iterdir())) == 6

        venv = tmp_path / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
        pip = [str(bindir / "python"), "-m", "pip", "install", "--quiet"]
        wheels = sorted((tree / "dist").glob("*.whl"))
        subprocess.run([*pip, *runtime_dependencies(wheels)], check=True, capture_output=True)
        # Only the local index (no configured extra index or wheel folder) may
        # provide tokenring, pinpal and, through their pins, secrets-common.
        subprocess.run(
            [*pip, "--index-url", f"{base}/simple/", "tokenring", "pinpal"],
            env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
            check=True,
            capture_output=True,
        )
        versions = subprocess.run(
            [
                str(bindir / "python"),
                "-c",
                "from importlib.metadata import version as v;"
                " print(v('secrets-common'), v('tokenring'), v('pinpal'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert versions == [VERSION] * 3
        listing = subprocess.run(
            [str(bindir / "secrets"), "--help"], capture_output=True, text=True, check=True
        ).stdout
        assert {"ring", "pin", "token"} <= set(re.findall(r"\b(ring|pin|token)\b", listing))
        for tool in ("tokenring", "pinpal"):
            subprocess.run([str(bindir / tool), "--help"], capture_output=True, check=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
