"""The scrypt verifier, its calibration and cache, and the memory model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinpal.learning.kdf import (
    FLOOR,
    MAX_LOG2_N,
    MIN_LOG2_N,
    ScryptParams,
    Verifier,
    calibrate,
    costlier,
    meets_floor,
)
from pinpal.learning.memory import DAY, HOUR, MemoryModel
from pinpal.storage import kdfcache
from tests.pinpal.helpers import TINY_SCRYPT


def test_verifier_accepts_only_the_secret_and_hides_it_in_repr() -> None:
    verifier = Verifier.make(b"correct horse", b"salt" * 4, TINY_SCRYPT)
    assert verifier.verify(b"correct horse")
    assert not verifier.verify(b"correct horsE")
    assert "salt" not in repr(verifier)
    assert verifier.digest.hex() not in repr(verifier)


@pytest.mark.parametrize(
    "data",
    [
        {"n": 1000, "r": 8, "p": 1},
        {"n": True},
        {"r": 8},
        "scrypt",
        {"n": 16, "r": "8"},
        {"n": 2**40, "r": 8, "p": 1},
        {"n": 16, "r": 8, "p": 10**6},
    ],
)
def test_bad_scrypt_parameters_are_rejected(data: object) -> None:
    with pytest.raises(ValueError, match="scrypt"):
        ScryptParams.from_json(data)


@attrs.define
class FakeMachine:
    """scrypt that "takes" n / rate seconds on a clock that only it advances."""

    rate: float
    now: float = 0.0
    trials: list[int] = attrs.Factory(list)

    def clock(self) -> float:
        return self.now

    def trial(self, params: ScryptParams) -> None:
        self.trials.append(params.n)
        self.now += params.n / self.rate


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (2**17 * 10, 2**17),  # 2**17 takes exactly the target
        (2**16 / 0.09, 2**16),  # 90 ms beats 180 ms
        (2**16 / 0.06, 2**17),  # 120 ms beats 60 ms
        (1e12, 2**MAX_LOG2_N),
        (1e3, 2**MIN_LOG2_N),
    ],
)
def test_calibration_picks_the_cost_closest_to_the_target(rate: float, expected: int) -> None:
    machine = FakeMachine(rate)
    ticks: list[int] = []
    params = calibrate(0.1, machine.clock, lambda: ticks.append(1), machine.trial)
    assert params.n == expected
    assert len(ticks) == len(machine.trials) >= 1
    assert machine.trials == sorted(machine.trials)


def test_calibration_cache_is_written_once_and_recovers_from_damage(tmp_path: Path) -> None:
    calls: list[int] = []

    def fake_calibrate() -> ScryptParams:
        calls.append(1)
        return TINY_SCRYPT

    cheap = {"floor": TINY_SCRYPT}
    assert kdfcache.load_or_calibrate(tmp_path, fake_calibrate, **cheap) == TINY_SCRYPT
    assert kdfcache.load_or_calibrate(tmp_path, fake_calibrate, **cheap) == TINY_SCRYPT
    assert len(calls) == 1
    cache = tmp_path / kdfcache.CACHE_FILE
    assert cache.stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob(f".{kdfcache.CACHE_FILE}*"))  # no temporary left
    cache.write_text("{broken")
    assert kdfcache.load_or_calibrate(tmp_path, fake_calibrate, **cheap) == TINY_SCRYPT
    assert len(calls) == 2


@pytest.mark.parametrize(
    "written", [{"n": 2, "r": 1, "p": 1}, {"n": 2**14, "r": 1, "p": 1}, {"n": 2**13, "r": 8}]
)
def test_a_cost_below_the_floor_is_recalibrated_wherever_it_is_read(
    tmp_path: Path, written: dict[str, int]
) -> None:
    (tmp_path / kdfcache.CACHE_FILE).write_text(json.dumps(written))
    assert kdfcache.load(tmp_path) is None
    chosen = ScryptParams(n=2**15)
    assert kdfcache.load_or_calibrate(tmp_path, lambda: chosen) == chosen
    assert kdfcache.load(tmp_path) == chosen
    # A calibration that came out cheaper still never goes below the floor.
    (tmp_path / kdfcache.CACHE_FILE).write_text(json.dumps(written))
    assert kdfcache.load_or_calibrate(tmp_path, lambda: TINY_SCRYPT) == FLOOR


def test_the_floor_and_the_cost_order() -> None:
    assert ScryptParams(n=2**14, r=8, p=1) == FLOOR
    assert meets_floor(FLOOR)
    assert not meets_floor(ScryptParams(n=2**13, r=8))
    assert not meets_floor(ScryptParams(n=2**20, r=1))
    assert costlier(ScryptParams(n=2**15), FLOOR)
    assert not costlier(FLOOR, FLOOR)
    assert not costlier(FLOOR, ScryptParams(n=2**15))
    # More work but less memory is not costlier.
    assert not costlier(ScryptParams(n=2**14, r=8, p=4), ScryptParams(n=2**15, r=8, p=1))


MODEL = MemoryModel()
stabilities = st.floats(min_value=60, max_value=365 * DAY)
recall = st.floats(min_value=0, max_value=1)


@given(stabilities, recall)
def test_success_never_lowers_stability_and_failure_always_does(s: float, r: float) -> None:
    assert MODEL.after_success(s, r) >= s
    assert MODEL.after_success(s, r) <= s * MODEL.max_growth
    assert MODEL.after_failure(s) <= max(s, MODEL.minimum)


@given(stabilities, recall, recall)
def test_harder_recalls_strengthen_more(s: float, r1: float, r2: float) -> None:
    harder, easier = sorted((r1, r2))
    assert MODEL.after_success(s, harder) >= MODEL.after_success(s, easier)


def test_interval_hits_the_retention_target() -> None:
    stabilities = [4 * DAY, 20 * DAY, 90 * DAY]
    interval = MODEL.interval(stabilities)
    assert MODEL.recall_probability(stabilities, interval) == pytest.approx(MODEL.target)
    assert MODEL.interval([]) == 0.0
    assert MODEL.interval([4 * DAY]) == pytest.approx(-math.log(0.9) * 4 * DAY)
    # Never closer together than the shortest interval.
    assert MODEL.interval([HOUR]) == MODEL.min_interval
