"""How much a shell prompt pays for ``pinpal check``, beside a bare interpreter.

Runs, interleaved so that machine noise hits all alike, many repetitions of:

* ``pinpal check`` (the installed console script, due file in the past so the
  marker is printed: the slower of its two answers),
* ``python -c pass`` (the interpreter ``pinpal`` runs on, with its site-packages),
* ``python -S -c pass`` (no site: the floor of any Python command),
* ``python -c 'import re'``: what the launcher of older pip releases (such as
  the 23.x that Python 3.11's ensurepip brings) costs before it reaches pinpal,
  since its first line is ``import re``; current pip's launcher does not
  import it, and ``nox -s bench`` installs current pip,
* the check itself without that launcher,

and prints the medians and the ratio to ``python -c pass``. The issue's target
is at most 1.5x; the original PINPal's check cost about 24x.

Run: ``/work/.venv/bin/python benchmarks/bench_pinpal_check.py [repetitions]``
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.5


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    pinpal = shutil.which("pinpal", path=str(Path(sys.executable).parent))
    if pinpal is None:
        print("pinpal is not installed beside this interpreter")
        return 1
    with tempfile.TemporaryDirectory() as home:
        state = Path(home, "pinpal")
        state.mkdir(mode=0o700)
        (state / "due").write_text("1\n")
        env = {**os.environ, "SECRETS_HOME": home}
        commands = {
            "pinpal check": [pinpal, "check"],
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -S -c pass": [sys.executable, "-S", "-c", "pass"],
            # The console-script launcher pip writes starts with `import re`:
            # a floor that no package can lower.
            "python -c 'import re'": [sys.executable, "-c", "import re"],
            "check, no launcher": [
                sys.executable,
                "-c",
                "from pinpal.__main__ import main; main(['check'])",
            ],
        }
        out = subprocess.run(commands["pinpal check"], env=env, capture_output=True, text=True)
        if out.stdout.strip() != "[pin]" or out.returncode != 0:
            print(f"pinpal check misbehaves: {out!r}")
            return 1
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm the page cache
            timed(command, env)
        for _ in range(repetitions):
            for name, command in commands.items():
                samples[name].append(timed(command, env))
    base = statistics.median(samples["python -c pass"])
    print(f"{repetitions} interleaved runs each; medians (whole process):")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:<24} {median * 1000:7.2f} ms   {median / base:5.2f}x python -c pass")
    ratio = statistics.median(samples["pinpal check"]) / base
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"pinpal check / python -c pass = {ratio:.2f} ({verdict} the {TARGET_RATIO}x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
