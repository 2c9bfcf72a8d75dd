"""Run the ``tokenring`` CLI inside the test process: same code, no interpreter start."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import attrs

from tokenring.__main__ import main

if TYPE_CHECKING:
    import pytest


@attrs.frozen
class Result:
    returncode: int
    stdout: str
    stderr: str


Invoke = Callable[..., Result]


def make_invoke(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> Invoke:
    def invoke(*args: str, input: str = "", env: Mapping[str, str] | None = None) -> Result:
        capfd.readouterr()
        with monkeypatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            patch.setattr(sys, "stdin", io.StringIO(input))
            code = main(list(args))
        out, err = capfd.readouterr()
        return Result(code, out, err)

    return invoke
