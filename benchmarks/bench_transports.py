"""What each transport adds to one hmac-secret derivation (a touch granted at once).

Interleaved, so that machine noise hits all alike, many derivations through
the key source (FidoKeySource, python-fido2's client) over:

* the bare software authenticator (``soft:``),
* python-fido2's CtapHidDevice on the software HID connection (``softhid:``),
* python-fido2's CtapPcscDevice on the card in the benchmark's process (the
  APDU layer without pcscd),
* the same through a real pcscd and ``secrets token emulate`` (only where
  pcscd and vsmartcard-vpcd are installed).

Prints the medians and each one's ratio to the bare key. python-fido2 waits
0.1 s before it polls an NFC card that answered 9100 (waiting for a touch),
so every touch over NFC costs at least that.

Run: ``python benchmarks/bench_transports.py [repetitions]`` (``nox -s bench``).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from fido2.pcsc import CtapPcscDevice

from secrets_common.fido.devices import Authenticator, hardware_authenticators
from secrets_common.fido.interaction import RecordingInteraction
from secrets_common.fido.source import FidoKeySource
from secrets_common.keysource import Credential
from secrets_common.soft import SoftAuthenticator
from secrets_common.soft.hid import open_soft_hid

if TYPE_CHECKING:
    from fido2.ctap import CtapDevice

RP_ID = "bench.test"
SALT = b"\x11" * 32
Discover = Callable[[], Sequence[Authenticator]]


def one(name: str, transport: str, path: Path, make: Callable[[], CtapDevice]) -> Discover:
    def discover() -> list[Authenticator]:
        device = make()
        return [Authenticator(name=name, transport=transport, path=str(path), device=device)]

    return discover


def derive_time(discover: Discover, credential: Credential) -> float:
    source = FidoKeySource(discover=discover, interaction=RecordingInteraction())
    start = time.perf_counter()
    source.derive([credential], [SALT], reason="bench")
    return time.perf_counter() - start


def main() -> int:
    # The card reader stand-in and the private pcscd are the tests' own helpers.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.common.card_reader import CardInReader, card_for
    from tests.pcsc import SOCKET_VARIABLE, emulated_card, missing_tools, running_pcscd

    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        root = Path(tmp)
        paths = {name: root / f"{name}.json" for name in ("soft", "softhid", "card", "pcscd")}
        transports: dict[str, Discover] = {
            "soft": one("soft", "soft", paths["soft"], lambda: SoftAuthenticator(paths["soft"])),
            "softhid (CtapHidDevice)": one(
                "softhid", "soft-hid", paths["softhid"], lambda: open_soft_hid(paths["softhid"])
            ),
            "card in process (CtapPcscDevice)": one(
                "card",
                "nfc",
                paths["card"],
                lambda: CtapPcscDevice(CardInReader(card_for(paths["card"])), "bench"),
            ),
        }
        missing = missing_tools()
        if missing is None:
            os.environ[SOCKET_VARIABLE] = str(root / "pcscd.comm")
            daemon = stack.enter_context(running_pcscd(root))
            stack.enter_context(emulated_card(paths["pcscd"], daemon, root / "emulate.err"))
            transports["pcscd + emulate (CtapPcscDevice)"] = hardware_authenticators
        else:
            print(f"pcscd not measured: {missing}")
        credentials = {
            label: FidoKeySource(discover=discover, interaction=RecordingInteraction())
            .enroll(rp_id=RP_ID, user_name="bench", salts=[SALT], reason="bench")
            .credential
            for label, discover in transports.items()
        }
        samples: dict[str, list[float]] = {label: [] for label in transports}
        for _round in range(repetitions):
            for label, discover in transports.items():
                samples[label].append(derive_time(discover, credentials[label]))
    base = statistics.median(samples["soft"])
    print(f"one derivation, median of {repetitions} (touch granted at once):")
    for label, values in samples.items():
        median = statistics.median(values)
        print(f"  {label:<36} {median * 1000:8.1f} ms   x{median / base:.1f} the bare key")
    return 0


if __name__ == "__main__":
    sys.exit(main())
