"""What does starting the agent on demand cost the first client of a session?

Side by side in one run, interleaved, medians of N repetitions (whole
processes, wall clock, one SoftAuthenticator touch in each), with ratios to
the in-process read:

* ``tokenring get`` in-process (``TOKENRING_NO_AGENT=1``): opens the vault;
* ``tokenring get`` with no agent running: starts one, which unlocks and
  releases with the one touch (the agent is stopped again after each run);
* ``tokenring get`` through the agent that run left running;
* a miss through that agent (no touch), and the same miss in-process (a touch:
  the names are encrypted).

Run: ``python benchmarks/bench_agent_on_demand.py [--reps N]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
SERVICE, USER, SECRET = "https://upload.pypi.org/legacy/", "__token__", "pypi-bench"


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def timed_miss(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, check=False, capture_output=True)
    if result.returncode != 1:
        raise SystemExit(f"a miss answered {result.returncode}: {result.stderr!r}")
    return time.perf_counter() - started


def stop(tokenring: str, env: dict[str, str], socket_path: Path) -> None:
    """Stop the agent and wait until its socket is gone, so that the next run starts one."""
    subprocess.run([tokenring, "stop"], env=env, check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while socket_path.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the agent did not stop")
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    reps = parser.parse_args().reps
    root = Path(tempfile.mkdtemp(prefix="bench-on-demand-"))
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "SECRETS_HOME": str(root / "home"),
        "XDG_RUNTIME_DIR": str(runtime),
        "SECRETS_AUTHENTICATOR": f"soft:{root / 'key.json'}",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("TOKENRING_VAULT", "TOKENRING_SOCKET", "TOKENRING_NO_AGENT", "TOKENRING_DISABLE"):
        env.pop(name, None)
    in_process = {**env, "TOKENRING_NO_AGENT": "1"}
    tokenring = str(BIN / "tokenring")
    get, miss = [tokenring, "get", SERVICE, USER], [tokenring, "get", SERVICE, "nobody"]
    subprocess.run(
        [tokenring, "init", "--no-recovery-code"], env=env, check=True, capture_output=True
    )
    subprocess.run(
        [tokenring, "set", SERVICE, USER],
        input=SECRET.encode(),
        env=in_process,
        check=True,
        capture_output=True,
    )
    names = (
        "get in-process (1 touch)",
        "get starting the agent (1 touch)",
        "get through that agent (1 touch)",
        "miss through that agent (0 touches)",
        "miss in-process (1 touch)",
    )
    samples: dict[str, list[float]] = {name: [] for name in names}
    try:
        for _ in range(reps):
            samples[names[0]].append(timed(get, in_process))
            samples[names[1]].append(timed(get, env))
            samples[names[2]].append(timed(get, env))
            samples[names[3]].append(timed_miss(miss, env))
            samples[names[4]].append(timed_miss(miss, in_process))
            stop(tokenring, env, runtime / "secrets-toolkit" / "tokenring.sock")
        medians = {name: statistics.median(values) for name, values in samples.items()}
        base = medians[names[0]]
        print(f"Whole processes, median of {reps} interleaved runs (soft key):")
        for name, value in medians.items():
            print(f"  {name:<40} {value * 1000:8.1f} ms  {value / base:5.2f}x in-process get")
    finally:
        subprocess.run([tokenring, "stop"], env=env, check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
