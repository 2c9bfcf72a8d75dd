"""A Hypothesis state machine: any sequence of commands keeps the service's
labels, secrets, rotations and due file in line with a plain dictionary model."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pinpal.cli.quickcheck import read_due
from pinpal.learning.secretgen import generate_digits, generate_words
from pinpal.service import Pinpal
from pinpal.storage.codec import CURRENT, RETIRING
from pinpal.storage.store import MemoryStore
from tests.pinpal.helpers import TINY_SCRYPT, FakeClock, seeded_entropy

LABELS = st.sampled_from(["mail", "disk", "phone"])


class ServiceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="pinpal-machine-"))
        self.clock = FakeClock()
        self.store = MemoryStore()
        self.seed = 0
        # label -> (current secret text, retiring secret text or None)
        self.model: dict[str, tuple[str, str | None]] = {}

    def teardown(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def service(self) -> Pinpal:
        # A fresh service per step, like one command per process.
        self.seed += 1
        return Pinpal(
            self.store, self.directory, self.clock, lambda: TINY_SCRYPT, seeded_entropy(self.seed)
        )

    @rule(label=LABELS, words=st.booleans())
    def new(self, label: str, words: bool) -> None:
        if label in self.model:
            return
        service = self.service()
        entropy = seeded_entropy(10_000 + self.seed)
        secret = generate_words(2, entropy) if words else generate_digits(4, entropy)
        service.new(label, secret)
        self.model[label] = (secret.text, None)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), words=st.booleans())
    def rotate(self, data: st.DataObject, words: bool) -> None:
        label = data.draw(st.sampled_from(sorted(self.model)))
        service = self.service()
        entropy = seeded_entropy(20_000 + self.seed)
        secret = generate_words(2, entropy) if words else generate_digits(4, entropy)
        service.rotate(label, secret)
        current, retiring = self.model[label]
        self.model[label] = (secret.text, retiring if retiring is not None else current)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), right=st.booleans(), old=st.booleans())
    def answer(self, data: st.DataObject, right: bool, old: bool) -> None:
        label = data.draw(st.sampled_from(sorted(self.model)))
        current, retiring = self.model[label]
        role, text = (RETIRING, retiring) if old and retiring is not None else (CURRENT, current)
        review, retired = self.service().answer(label, role, text if right else "nope")
        assert review.correct == right
        if retired:
            assert role == CURRENT
            assert review.record.learned
            self.model[label] = (current, None)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        label = data.draw(st.sampled_from(sorted(self.model)))
        self.service().drop(label)
        del self.model[label]

    @rule(seconds=st.floats(min_value=0, max_value=10 * 86400))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def matches_the_model(self) -> None:
        service = self.service()
        assert self.store.labels() == sorted(self.model)
        dues = []
        for entry in service.entries():
            current, retiring = self.model[entry.label]
            assert entry.current.verifier.verify(current.encode())
            assert (entry.retiring is None) == (retiring is None)
            if entry.retiring is not None and retiring is not None:
                assert entry.retiring.verifier.verify(retiring.encode())
            for _, record in entry.records():
                dues.append(record.due_at())
                if record.learned:
                    stored = json.loads(self.store.read(entry.label))
                    for role in ("current", "retiring"):
                        if stored[role] is not None and all(
                            p["stage"] == "forgotten" for p in stored[role]["positions"]
                        ):
                            assert all("token" not in p for p in stored[role]["positions"])
        due = read_due(str(self.directory / "due"))
        if dues:
            assert due is not None
            assert abs(due - min(dues)) <= 1
        elif self.model == {} and (self.directory / "due").exists():
            raise AssertionError("a due file without secrets")


ServiceMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=25)
TestServiceMachine = ServiceMachine.TestCase
