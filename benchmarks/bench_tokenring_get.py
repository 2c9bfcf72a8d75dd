"""How fast is `tokenring get` through a running agent?

Side by side in one run, interleaved, medians of N repetitions (whole
processes, wall clock):

* ``python -c pass`` — the interpreter alone;
* ``python -c "import re"`` — the floor of a console script written by older
  pip (such as the 23.x of Python 3.11's ensurepip), whose launcher imports
  ``re``; current pip's launcher does not (``nox -s bench`` installs it);
* the fast client without any launcher (``python -c`` calling ``main``);
* ``tokenring get`` through the agent for a missing entry — the whole
  command, no touch;
* ``tokenring get`` through the agent — including one SoftAuthenticator touch;
* ``keyring get`` (keyrings.alt plaintext file backend).

Then per-call latency of ``TokenRingKeyring.get_password`` in this process:
through the agent and in-process, both *including* one SoftAuthenticator
touch, next to the cost of one bare touch (``KeySource.derive``) so that the
figures without the touch can be read off. A real key's touch is a person's
reaction time, which no benchmark can shorten.

Run: ``python benchmarks/bench_tokenring_get.py [--reps N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

BIN = Path(sys.executable).parent
NO_LAUNCHER = "import sys; from tokenring.__main__ import main; sys.exit(main(sys.argv[1:]))"
SERVICE, USER, SECRET = "https://upload.pypi.org/legacy/", "__token__", "pypi-benchmark-token"


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - started


def per_call(action: Callable[[], object], reps: int) -> float:
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


@contextlib.contextmanager
def prompts_silenced() -> Iterator[None]:
    """Drop the touch prompts of in-process calls, which would bury the figures.

    They go to ``sys.stderr`` and, from the agent client, to fd 2 itself.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def start_agent(env: dict[str, str]) -> subprocess.Popen[bytes]:
    read_end, write_end = os.pipe()
    agent = subprocess.Popen(
        [str(BIN / "tokenring"), "agent", "--ready-fd", str(write_end)],
        pass_fds=(write_end,),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as ready:
        if ready.read() != b"ready\n":
            raise SystemExit("the agent did not start")
    return agent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    reps = parser.parse_args().reps

    root = Path(tempfile.mkdtemp(prefix="bench-tokenring-"))
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "SECRETS_HOME": str(root / "home"),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(root / "data"),
        "SECRETS_AUTHENTICATOR": f"soft:{root / 'key.json'}",
    }
    # As from an installed wheel, whose modules pip compiled: let Python keep
    # the bytecode of the editable sources instead of compiling every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("TOKENRING_VAULT", "TOKENRING_SOCKET", "TOKENRING_NO_AGENT", "TOKENRING_DISABLE"):
        env.pop(name, None)
    plaintext = {**env, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    os.environ.update(env)  # for the in-process figures below

    tokenring, keyring_cli = str(BIN / "tokenring"), str(BIN / "keyring")
    subprocess.run(
        [tokenring, "init", "--no-recovery-code"], env=env, check=True, capture_output=True
    )
    subprocess.run(
        [tokenring, "set", SERVICE, USER],
        input=SECRET.encode(),
        env={**env, "TOKENRING_NO_AGENT": "1"},  # else it starts the agent measured below
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [keyring_cli, "set", SERVICE, USER],
        input=SECRET.encode(),
        env=plaintext,
        check=True,
        capture_output=True,
    )

    agent = start_agent(env)
    try:
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], env),
            'python -c "import re"': ([sys.executable, "-c", "import re"], env),
            "fast client, no launcher (no such entry: no touch)": (
                [sys.executable, "-c", NO_LAUNCHER, "get", SERVICE, "nobody"],
                env,
            ),
            "tokenring get (agent, no such entry: no touch)": (
                [tokenring, "get", SERVICE, "nobody"],
                env,
            ),
            "tokenring get (agent, 1 soft touch)": ([tokenring, "get", SERVICE, USER], env),
            "keyring get (plaintext file backend)": (
                [keyring_cli, "get", SERVICE, USER],
                plaintext,
            ),
        }
        check = subprocess.run(
            [tokenring, "get", SERVICE, USER], env=env, capture_output=True, text=True
        )
        if check.stdout != SECRET + "\n":
            raise SystemExit(f"tokenring get answered {check.stdout!r}: {check.stderr}")
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(reps):  # interleaved: a load spike hits every command alike
            for name, (command, command_env) in commands.items():
                samples[name].append(timed(command, command_env))
        medians = {name: statistics.median(values) for name, values in samples.items()}
        base = medians["python -c pass"]
        print(f"Whole processes, median of {reps} interleaved runs:")
        for name, value in medians.items():
            print(f"  {name:<50} {value * 1000:8.1f} ms  {value / base:5.2f}x python -c pass")

        from tokenring import keys
        from tokenring.backend import TokenRingKeyring

        with prompts_silenced():
            through_agent = TokenRingKeyring()
            in_process = TokenRingKeyring(use_agent=False)
            source = keys.key_source(interaction=keys.AgentInteraction())
            salt = os.urandom(32)
            # A credential of its own on the same soft key, to time one bare touch.
            bench_credential = source.enroll(
                rp_id="benchmark", user_name="benchmark", salts=[salt], reason="benchmark"
            ).credential
            calls = max(10, reps)
            actions: dict[str, Callable[[], object]] = {
                "one bare soft touch (KeySource.derive)": lambda: source.derive(
                    [bench_credential], [salt], reason="benchmark"
                ),
                "get_password through the agent (1 touch)": lambda: through_agent.get_password(
                    SERVICE, USER
                ),
                "get_password through the agent, missing entry (0 touches)": (
                    lambda: through_agent.get_password(SERVICE, "nobody")
                ),
                "get_password in-process (1 touch, opens the vault)": lambda: (
                    in_process.get_password(SERVICE, USER)
                ),
            }
            timings: dict[str, list[float]] = {name: [] for name in actions}
            for _ in range(calls):  # interleaved, like the processes above
                for name, action in actions.items():
                    timings[name].append(per_call(action, 1))
        figures = {name: statistics.median(values) for name, values in timings.items()}
        print(f"\nPer call in this process, median of {calls} interleaved calls:")
        for name, value in figures.items():
            print(f"  {name:<60} {value * 1000:8.2f} ms")
        touch = figures["one bare soft touch (KeySource.derive)"]
        print("\nWithout the touch (estimated: minus the median bare soft touch):")
        for name in (
            "get_password through the agent (1 touch)",
            "get_password in-process (1 touch, opens the vault)",
        ):
            rest = (figures[name] - touch) * 1000
            shown = f"{rest:8.2f} ms" if rest > 0 else "   below the touch's own noise"
            print(f"  {name.split(' (')[0]:<60} {shown}")
        print(
            f"\ntokenring get (no touch) / python -c pass:"
            f" {medians['tokenring get (agent, no such entry: no touch)'] / base:.2f}x"
            " (target <= 2x);"
            f" keyring get (plaintext) / python -c pass:"
            f" {medians['keyring get (plaintext file backend)'] / base:.2f}x"
        )
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
