"""Claims of docs/threat-model.md about TokenRing and its agent, held by a same-user attacker.

The attacker talks to the running agent over a raw Unix socket (frames built
by hand, no toolkit code) from a process of its own that names itself
"twine", or crashes the agent with a signal. Touch counts come from the
SoftAuthenticator's state file, so a touch nobody announced would show.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.cli import run
from tests.tokenring.conftest import AgentProcess, SharedAgent, start_agent, touches
from tokenring.agent.peercred import program_name

# A same-user program that names itself "twine" (a script of that name: the
# agent names an interpreter by the script it runs) and asks the agent over a
# raw socket. It prints its pid, every event frame and the answer, one JSON
# line each.
RAW_CLIENT = r"""
import json, os, socket, sys
print(json.dumps({"pid": os.getpid()}), flush=True)
for line in sys.stdin:
    body = line.strip().encode()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(os.environ["TOKENRING_SOCKET"])
    sock.sendall(len(body).to_bytes(4, "big") + body)
    def exactly(size):
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                raise SystemExit("closed")
            data += chunk
        return data
    while True:
        frame = json.loads(exactly(int.from_bytes(exactly(4), "big")))
        print(json.dumps(frame), flush=True)
        if "event" not in frame:
            break
    sock.close()
"""


def _raw_requests(
    agent: SharedAgent, *requests: dict[str, object]
) -> tuple[int, list[list[dict[str, object]]]]:
    """Send ``requests`` from one attacker process; its pid and each request's frames."""
    lines = "".join(
        json.dumps({"v": 1, "vault": str(agent.vault), **request}) + "\n" for request in requests
    )
    script = Path(tempfile.mkdtemp(prefix="tm-client-")) / "twine"
    script.write_text(RAW_CLIENT)
    done = subprocess.run(
        [sys.executable, str(script)],
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, **agent.env},
    )
    frames = [json.loads(line) for line in done.stdout.splitlines()]
    pid = int(frames.pop(0)["pid"])
    conversations: list[list[dict[str, object]]] = [[]]
    for frame in frames:
        conversations[-1].append(frame)
        if "event" not in frame:
            conversations.append([])
    return pid, conversations[:-1]


def test_every_touch_through_the_agent_is_announced_with_the_real_pid(
    shared_agent: SharedAgent,
) -> None:
    """Claim 7: each touch is announced, naming the entry and the kernel's pid of the caller.

    The caller picks its own name ("twine"); the pid in the prompt is its
    real one. Each touch the key grants matches one announcement, to the
    caller and in the agent's log.
    """
    log = shared_agent.process.log
    logged_before = len(log.read_text())
    before = touches(shared_agent.key)
    pid, answers = _raw_requests(
        shared_agent,
        {"op": "set", "service": "tm-svc", "user": "tm-user", "value": "v4lue"},
        {"op": "get", "service": "tm-svc", "user": "tm-user"},
        {"op": "delete", "service": "tm-svc", "user": "tm-user"},
    )
    stored, got, deleted = answers
    assert [frame.get("ok") for frame in (stored[-1], got[-1], deleted[-1])] == [True] * 3
    assert got[-1]["value"] == "v4lue"
    # The test process ran it (not a shell): the agent names it too.
    who = f"twine (pid {pid}), run by {program_name(os.getpid())} (pid {os.getpid()})"
    assert f"{who} wants to store 'tm-svc' / 'tm-user' — touch your key" in str(stored[0])
    assert f"{who} wants 'tm-svc' / 'tm-user' — touch your key" in str(got[0])
    spent = touches(shared_agent.key) - before
    events = [frame for conversation in answers for frame in conversation if "event" in frame]
    assert spent == len(events) >= 2, "every touch announced, and only touches"
    agent_saw = log.read_text()[logged_before:]
    # The agent's own prompt completes "Touch your security key to …" and names the caller.
    prompts = re.findall(r"Touch your security key to [^\n]*" + re.escape(who), agent_saw)
    assert len(prompts) == len(events)


def test_an_unlocked_agent_gives_names_and_deletes_free_but_no_value(
    shared_agent: SharedAgent,
) -> None:
    """ "What a touch does not protect": names and deletes are free while unlocked; values not.

    The attacker lists and deletes through the unlocked agent without a
    touch; reading or writing a value costs one touch each.
    """
    assert run("tokenring", "set", "tm-free", "u", input="x").returncode == 0
    before = touches(shared_agent.key)
    _pid, (listed, deleted) = _raw_requests(
        shared_agent, {"op": "list"}, {"op": "delete", "service": "tm-free", "user": "u"}
    )
    assert ["tm-free", "u"] in listed[-1]["entries"]  # type: ignore[operator]
    assert deleted[-1]["ok"] is True
    assert touches(shared_agent.key) == before, "names and deletes cost no touch"
    _pid, (stored, got) = _raw_requests(
        shared_agent,
        {"op": "set", "service": "tm-free", "user": "u", "value": "y"},
        {"op": "get", "service": "tm-free", "user": "u"},
    )
    assert stored[-1]["ok"] is True
    assert got[-1]["value"] == "y"
    assert touches(shared_agent.key) == before + 2, "a value costs a touch each way"
    assert run("tokenring", "delete", "tm-free", "u").returncode == 0


def _cores(where: Path) -> list[Path]:
    return sorted(where.glob("core*"))


def test_a_crashed_agent_leaves_no_core_file(
    vault_file: Path,
    tmp_path: Path,
    agents: list[AgentProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Agent memory: killed with SIGSEGV by same-user code, the agent dumps no core.

    A control process crashed the same way in the same directory does dump
    one, so the check has teeth (skipped where the system writes no cores).
    """
    if Path("/proc/sys/kernel/core_pattern").read_text().strip() != "core":
        pytest.skip("cores are not written as ./core here")
    where = tmp_path / "crash"
    where.mkdir()
    monkeypatch.chdir(where)

    def allow_cores() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    control = subprocess.Popen(
        [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"],
        cwd=where,
        preexec_fn=allow_cores,
    )
    control.wait(timeout=30)
    if not _cores(where):
        pytest.skip("this system writes no core even when allowed")
    for core in _cores(where):
        core.unlink()

    crashing = start_agent(tmp_path)  # started from ``where``: its cores would land here
    agents.append(crashing)
    assert crashing.status()["locked"] is False, "it holds the index key when it crashes"
    crashing.process.send_signal(signal.SIGSEGV)
    assert crashing.process.wait(timeout=30) == -signal.SIGSEGV
    assert _cores(where) == [], "a crash of the agent left a core file"


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_an_agent_will_not_listen_in_a_directory_others_can_write(
    vault_file: Path, tmp_path: Path, mode: int
) -> None:
    """The socket: a socket directory group or others can write to is refused, not used.

    Whoever can write there could swap the socket for one of their own. The
    directory is planted before the agent starts; the agent stops with one
    line and binds nothing.
    """
    planted = tmp_path / "runtime" / "secrets-toolkit"
    planted.mkdir(parents=True)
    planted.chmod(mode)
    socket_path = planted / "tokenring.sock"
    started = run("tokenring", "agent", env={"TOKENRING_SOCKET": str(socket_path)})
    assert started.returncode != 0
    assert len(started.stderr.splitlines()) == 1, started.stderr
    assert "Traceback" not in started.stderr
    assert f"{planted} is writable by other users" in started.stderr
    assert not socket_path.exists()


NOBODY = 65534
# A same-user program (run as ``nobody``, like the agent below) that tries to
# read a process's memory: first a child of its own (the control), then the agent.
PEEK = r"""
import json, subprocess, sys
def peek(pid):
    try:
        with open(f"/proc/{pid}/maps") as maps:
            start = int(maps.readline().split("-")[0], 16)
        with open(f"/proc/{pid}/mem", "rb") as mem:
            mem.seek(start)
            return "read" if mem.read(16) else "empty"
    except PermissionError:
        return "refused"
    except OSError as error:
        return f"error {error.errno}"
child = subprocess.Popen(
    [sys.executable, "-c", "print('up', flush=True); import time; time.sleep(60)"],
    stdout=subprocess.PIPE,
)
child.stdout.readline()
print(json.dumps({"control": peek(child.pid), "agent": peek(int(sys.argv[1]))}))
child.kill()
"""


# The agent as ``tokenring agent`` starts it, on a system interpreter nobody may
# run (this venv's may live under root's home), with this venv's packages.
AGENT = f"""
import runpy, site, sys
site.addsitedir({sysconfig.get_paths()["purelib"]!r})
sys.argv = ["tokenring", *sys.argv[1:]]
runpy.run_module("tokenring", run_name="__main__")
"""


def _as_nobody() -> dict[str, Any]:
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []}


def _python_for_nobody() -> str | None:
    """An interpreter of this very version that ``nobody`` can start."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        try:
            probe = subprocess.run(
                [candidate, "-c", AGENT, "--version"],
                check=False,
                capture_output=True,
                **_as_nobody(),
            )
        except OSError:
            continue
        if probe.returncode == 0:
            return candidate
    return None


def test_another_process_of_the_same_user_cannot_read_the_agents_memory() -> None:
    """Agent memory, "No ptrace": a process of the agent's own user cannot read its memory.

    Root may read any process, so the agent and the attacker both run as
    ``nobody`` (this needs root to set that up, and is skipped otherwise).
    The attacker reads its own child's memory (the control: same-user reads
    work here) and then tries the agent's, holding the index key.
    """
    if not hasattr(os, "getuid") or os.getuid() != 0:
        pytest.skip("needs root, to run the agent and the attacker as another user")
    from secrets_common.vault import NewAuthenticatorSlot, Vault
    from tokenring import keys

    root = Path(tempfile.mkdtemp(prefix="tokenring-ptrace-", dir="/tmp"))
    try:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "SECRETS_AUTHENTICATOR": f"soft:{root / 'key.json'}",
            "SECRETS_HOME": str(root / "home"),
            "XDG_RUNTIME_DIR": str(root / "runtime"),
            "TOKENRING_VAULT": str(root / "home" / "tokenring" / "vault"),
            "TOKENRING_SOCKET": str(root / "runtime" / "secrets-toolkit" / "tokenring.sock"),
        }
        vault, _ = Vault.create(
            Path(env["TOKENRING_VAULT"]),
            NewAuthenticatorSlot("key-1", keys.key_source(environ=env)),
        )
        vault.lock()
        (root / "runtime").mkdir(mode=0o700)
        for where, _dirs, files in os.walk(root):
            for name in [where, *(os.path.join(where, file) for file in files)]:
                os.chown(name, NOBODY, NOBODY)
        python = _python_for_nobody()
        if python is None:
            pytest.skip("no interpreter of this version that nobody may run")

        read_end, write_end = os.pipe()
        log = root / "agent.log"
        with log.open("wb") as stderr:
            agent = subprocess.Popen(
                [python, "-c", AGENT, "agent", "--ready-fd", str(write_end)],
                pass_fds=(write_end,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                **_as_nobody(),
            )
        os.close(write_end)
        try:
            with os.fdopen(read_end, "rb") as ready:
                assert ready.read() == b"ready\n", log.read_text()
            attacker = subprocess.run(
                [python, "-c", PEEK, str(agent.pid)],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
                env=env,
                **_as_nobody(),
            )
            seen = json.loads(attacker.stdout)
            assert seen["control"] == "read", f"same-user reads are blocked anyway: {seen}"
            assert seen["agent"] == "refused", f"the agent's memory was readable: {seen}"
            assert agent.poll() is None, "and the agent still serves"
        finally:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_same_user_code_that_deletes_the_state_file_rolls_back_unseen(
    vault_file: Path, tmp_path: Path
) -> None:
    """Claim 6, its stated limit: the rollback log does not stop code running as you.

    With no agent running, code that puts an older copy back and deletes
    ``vault-generations.json`` gets the older value served. The document says
    so; this test keeps it honest (it fails if the limit is ever lifted).
    """
    cold = {"TOKENRING_NO_AGENT": "1"}
    assert run("tokenring", "set", "svc", "u", input="one", env=cold).returncode == 0
    older = vault_file.read_bytes()
    assert run("tokenring", "set", "svc", "u", input="two", env=cold).returncode == 0
    vault_file.write_bytes(older)
    refused = run("tokenring", "get", "svc", "u", env=cold)
    assert refused.returncode == 4, "with the state file in place the copy is refused"
    (Path(os.environ["SECRETS_HOME"]) / "vault-generations.json").unlink()
    served = run("tokenring", "get", "svc", "u", env=cold)
    assert served.returncode == 0, served.stderr
    assert served.stdout == "one\n"


def test_every_touch_in_process_is_announced_with_its_purpose(
    vault_file: Path, soft_key: Path
) -> None:
    """Claim 7, in-process: each touch the key grants follows one prompt naming the entry."""
    cold = {"TOKENRING_NO_AGENT": "1"}
    before = touches(soft_key)
    stored = run("tokenring", "set", "pypi", "__token__", input="t0ken", env=cold)
    got = run("tokenring", "get", "pypi", "__token__", env=cold)
    assert got.stdout == "t0ken\n"
    said = stored.stderr + got.stderr
    prompts = [line for line in said.splitlines() if line.startswith("Touch your security key")]
    assert touches(soft_key) - before == len(prompts) >= 2, said
    assert any("to read 'pypi' / '__token__'" in line for line in prompts), said
