"""Every ```python block of the documentation runs, as it is, against the software authenticator.

Sketches that cannot run alone are fenced ```{code-block} python instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def examples() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)
        found += [(f"{page.name}#{n}", code) for n, code in enumerate(blocks, 1)]
    return found


def test_the_docs_have_examples() -> None:
    pages = {name.split("#")[0] for name, _ in examples()}
    assert {"api.md", "faq.md", "getting-started-tokenring.md"} <= pages


@pytest.mark.parametrize(("name", "code"), examples(), ids=[name for name, _ in examples()])
def test_example_runs(name: str, code: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECRETS_", "TOKENRING_"))}
    env |= {
        "SECRETS_HOME": str(tmp_path / "home"),
        "SECRETS_AUTHENTICATOR": f"soft:{tmp_path / 'key.json'}",
        "TOKENRING_NO_AGENT": "1",
    }
    (tmp_path / "home").mkdir(mode=0o700)
    ran = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, f"{name}:\n{ran.stderr}"
    assert "Traceback" not in ran.stderr
