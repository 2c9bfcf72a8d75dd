"""The learning simulation's machine-readable summary: every promised figure, as a number."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "benchmarks" / "bench_pinpal_learning.py"
FIELDS = (
    "learned_within_30_days",
    "first_day_prompts_median",
    "practices_to_learned_median",
    "days_to_learned_median",
    "recall_day_90",
    "recall_day_365",
    "practices_per_month_after_learning_month_3",
    "pin6_practices_to_learned_median",
)
FRACTIONS = ("learned_within_30_days", "recall_day_90", "recall_day_365")


def test_the_json_summary_is_the_last_line_and_holds_every_field_as_a_number() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--learners", "3", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) > 1, "the text report comes first"
    summary = json.loads(lines[-1])
    for field in FIELDS:
        value = summary[field]
        assert isinstance(value, int | float), field
        assert not isinstance(value, bool), field
        assert math.isfinite(value), field
        assert value >= 0, field
    for field in FRACTIONS:
        assert 0 <= summary[field] <= 1, field


def test_a_bad_population_is_one_line_and_an_error() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--learners", "0"], capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
