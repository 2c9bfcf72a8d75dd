"""Real install clients against a private index, their credential in TokenRing.

pip (``--keyring-provider import`` and ``subprocess``, with the user name in
the index URL and without) and ``uv pip install --keyring-provider
subprocess`` install one tiny wheel from an index on 127.0.0.1 that answers
401 without the right Basic credentials, and twine uploads it there. The
credential lives in a TokenRing vault behind the soft key, stored under the
index's ``host:port`` (the name both clients fall back to after a miss on the
index URL) or under the index URL itself (the name both ask first). Each test
counts the touches the install spent, in-process (``TOKENRING_NO_AGENT=1``) and through
an unlocked agent. ``docs/clients.md`` tabulates the same figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from tests.cli import script
from tests.package_index import PROJECT, PrivateIndex, private_index
from tests.tokenring.conftest import AgentProcess, start_agent, touches
from tokenring.service import TokenRing

USER = "__token__"
TOKEN = "pypi-not-a-real-token-0123456789"
BIN = Path(sys.executable).parent


@attrs.frozen
class Client:
    """One way of installing: the client, its keyring mode, the URL form."""

    name: str
    with_user: bool
    # Touches of the install alone, in-process and through an unlocked agent.
    cold: int
    warm: int
    # The service name of the stored entry: the host (the last name pip and
    # uv try) or the index URL (the first).
    under_index_url: bool = False

    @property
    def id(self) -> str:
        user = "user" if self.with_user else "nouser"
        return f"{self.name}-{user}-{'under-url' if self.under_index_url else 'under-host'}"

    def store(self, index: PrivateIndex) -> None:
        service = index.index_url if self.under_index_url else index.netloc
        TokenRing.from_environment(use_agent=False).set(service, USER, TOKEN)


CLIENTS = [
    # get_credential(index URL, None): the index is read (a touch), no entry;
    # get_credential(host:port, None): read again (a touch), one user found;
    # its password: a touch.
    Client("pip-import", with_user=False, cold=3, warm=1),
    # get_credential(index URL, user): a miss, still a touch to open the
    # vault; get_credential(host:port, user): the one touch that releases it.
    Client("pip-import", with_user=True, cold=2, warm=1),
    # `keyring --mode=creds get URL [user]`, then the same for host:port: the
    # same calls in two keyring processes.
    Client("pip-subprocess", with_user=False, cold=3, warm=1),
    Client("pip-subprocess", with_user=True, cold=2, warm=1),
    # `keyring get URL user` (a miss), then `keyring get host:port user`.
    Client("uv", with_user=True, cold=2, warm=1),
    # The same installs with the entry under the index URL, the first name
    # pip and uv ask: the host is never asked. get_credential(index URL, None)
    # finds the user (a touch in-process), then reads its password.
    Client("pip-import", with_user=False, cold=2, warm=1, under_index_url=True),
    Client("pip-import", with_user=True, cold=1, warm=1, under_index_url=True),
    Client("pip-subprocess", with_user=False, cold=2, warm=1, under_index_url=True),
    Client("pip-subprocess", with_user=True, cold=1, warm=1, under_index_url=True),
    Client("uv", with_user=True, cold=1, warm=1, under_index_url=True),
]


@pytest.fixture
def index(tmp_path: Path) -> Iterator[PrivateIndex]:
    served = tmp_path / "served"
    served.mkdir()
    with private_index(served, USER, TOKEN) as running:
        yield running


@pytest.fixture
def client_env(tmp_path: Path, soft_key: Path, vault_file: Path) -> dict[str, str]:
    """The clients' environment: this test's vault and key, nothing of the machine's."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        **os.environ,
        # The venv's bin first: the `keyring` (and `uv`) the clients run are its own.
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "NO_COLOR": "1",
    }


def fresh_venv(tmp_path: Path) -> Path:
    """An empty virtual environment to install into; its interpreter."""
    target = tmp_path / "target-venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(target)], check=True, timeout=120
    )
    return target / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def install(client: Client, index: PrivateIndex, tmp_path: Path, env: dict[str, str]) -> Path:
    """Run the client's install of the tiny wheel; where the package landed."""
    url = index.url(with_user=client.with_user)
    pip = [sys.executable, "-m", "pip"]
    common = ["install", "--no-cache-dir", "--no-input", "--index-url", url]
    if client.name == "pip-import":
        # pip imports keyring from its own environment: the test venv's, where
        # TokenRing's backend is installed.
        target = tmp_path / "target"
        argv = [*pip, *common, "--keyring-provider", "import", "--target", str(target), PROJECT]
    elif client.name == "pip-subprocess":
        # pip skips a `keyring` in its own scripts directory, so it runs for
        # another interpreter (--python) and finds the test venv's `keyring`.
        python = fresh_venv(tmp_path)
        argv = [*pip, "--python", str(python), *common, "--keyring-provider", "subprocess"]
        argv.append(PROJECT)
        target = site_packages(python)
    else:
        python = fresh_venv(tmp_path)
        argv = uv_install(python, url)
        target = site_packages(python)
    done = run_client(argv, env)
    assert done.returncode == 0, (argv, done.stdout, done.stderr)
    return target


def run_client(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def client_environment(
    env: dict[str, str], tmp_path: Path, agents: list[AgentProcess], *, with_agent: bool
) -> dict[str, str]:
    """The clients' environment, with an unlocked agent of the test's or none at all."""
    if with_agent:
        # Unlocked at start (one touch, before the count): misses and
        # user-name probes are then answered from the agent's open vault.
        agents.append(start_agent(tmp_path))
        return env
    return {**env, "TOKENRING_NO_AGENT": "1"}


def uv_install(python: Path, url: str) -> list[str]:
    uv = [script("uv"), "pip", "install", "--no-config", "--python", str(python)]
    return [*uv, "--index-url", url, "--keyring-provider", "subprocess", PROJECT]


def site_packages(python: Path) -> Path:
    root = str(python.parent.parent)
    return Path(sysconfig.get_path("purelib", "venv", vars={"base": root, "platbase": root}))


def check_installed(target: Path, index: PrivateIndex) -> None:
    assert (target / PROJECT / "__init__.py").read_text() == "ANSWER = 42\n"
    assert index.requests.refused >= 1, "the index never asked for credentials"
    assert any(seen.startswith("GET") and seen.endswith(".whl") for seen in index.requests.served)


@pytest.mark.slow
@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.id)
@pytest.mark.parametrize("with_agent", [False, True], ids=["in-process", "agent"])
def test_install_costs_the_touches_of_the_table(
    client: Client,
    with_agent: bool,
    index: PrivateIndex,
    client_env: dict[str, str],
    soft_key: Path,
    tmp_path: Path,
    agents: list[AgentProcess],
) -> None:
    client.store(index)
    env = client_environment(client_env, tmp_path, agents, with_agent=with_agent)
    before = touches(soft_key)
    target = install(client, index, tmp_path, env)
    check_installed(target, index)
    assert touches(soft_key) - before == (client.warm if with_agent else client.cold)
    if with_agent:
        assert USER in agents[0].log.read_text(), "the agent asked the key"


@pytest.mark.slow
def test_uv_without_the_user_name_never_asks_the_keyring(
    index: PrivateIndex, client_env: dict[str, str], soft_key: Path, tmp_path: Path
) -> None:
    Client("uv", with_user=False, cold=0, warm=0).store(index)
    before = touches(soft_key)
    python = fresh_venv(tmp_path)
    done = run_client(
        uv_install(python, index.url(with_user=False)), {**client_env, "TOKENRING_NO_AGENT": "1"}
    )
    assert done.returncode != 0
    assert "401" in done.stderr
    assert touches(soft_key) == before
    assert not index.requests.served


@attrs.frozen
class KeyringCall:
    """One `keyring` command line and the touches it costs, cold and warm."""

    name: str
    argv: tuple[str, ...]
    found: bool
    cold: int
    warm: int


KEYRING_CALLS = [
    # get_password(service, user): the one touch that releases it.
    KeyringCall("get", ("get", "SERVICE", USER), found=True, cold=1, warm=1),
    # A miss: in-process the vault is still opened (a touch); the agent
    # answers it from the open vault.
    KeyringCall("get-miss", ("get", "SERVICE", "nobody"), found=False, cold=1, warm=0),
    # get_credential(service, None): the user name from the index (a touch
    # in-process), then the password, which the command prints (a touch).
    KeyringCall("creds", ("--mode", "creds", "get", "SERVICE"), found=True, cold=2, warm=1),
]


@pytest.mark.slow
@pytest.mark.parametrize("call", KEYRING_CALLS, ids=lambda c: c.name)
@pytest.mark.parametrize("with_agent", [False, True], ids=["in-process", "agent"])
def test_keyring_command_costs_the_touches_of_the_table(
    call: KeyringCall,
    with_agent: bool,
    client_env: dict[str, str],
    soft_key: Path,
    tmp_path: Path,
    agents: list[AgentProcess],
) -> None:
    service = "https://upload.example/legacy/"
    TokenRing.from_environment(use_agent=False).set(service, USER, TOKEN)
    env = client_environment(client_env, tmp_path, agents, with_agent=with_agent)
    before = touches(soft_key)
    argv = [script("keyring"), *(service if arg == "SERVICE" else arg for arg in call.argv)]
    done = run_client(argv, env)
    assert (done.returncode == 0) == call.found, done.stderr
    assert (TOKEN in done.stdout) == call.found
    assert touches(soft_key) - before == (call.warm if with_agent else call.cold)


@attrs.frozen
class Upload:
    """twine uploading the tiny wheel: with the user name given or asked of the keyring."""

    name: str
    options: tuple[str, ...]
    cold: int
    warm: int


UPLOADS = [
    # get_password(upload URL, user): the one touch that releases it.
    Upload("twine-with-user", ("-u", USER), cold=1, warm=1),
    # get_credential(upload URL, None) for the user name (a touch in-process,
    # none through the agent), then get_password(upload URL, user).
    Upload("twine-without-user", (), cold=2, warm=1),
]


@pytest.mark.slow
@pytest.mark.parametrize("upload", UPLOADS, ids=lambda u: u.name)
@pytest.mark.parametrize("with_agent", [False, True], ids=["in-process", "agent"])
def test_twine_upload_costs_the_touches_of_the_table(
    upload: Upload,
    with_agent: bool,
    index: PrivateIndex,
    client_env: dict[str, str],
    soft_key: Path,
    tmp_path: Path,
    agents: list[AgentProcess],
) -> None:
    from tests.package_index import build_wheel

    TokenRing.from_environment(use_agent=False).set(index.upload_url, USER, TOKEN)
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = build_wheel(dist)
    env = client_environment(client_env, tmp_path, agents, with_agent=with_agent)
    argv = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar"]
    argv += ["--repository-url", index.upload_url, *upload.options, str(wheel)]
    before = touches(soft_key)
    done = run_client(argv, env)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "POST /legacy/" in index.requests.served
    assert touches(soft_key) - before == (upload.warm if with_agent else upload.cold)
