"""Legitimate calls under a flood: SIPp ``uac`` at 100 calls/s from the trusted 127.0.0.1
beside each flood kind from the untrusted 127.0.0.2 (30,000 datagrams/s asked): none (the
peer figure, same run), garbage, INVITEs to E.164 numbers, 1,000-Via INVITEs, a mix, and the
mix spread over 200 source addresses (each with its own bucket: the distributed case).
Prints, per kind, the legit-call success ratio, the server's CPU share (CPU s / wall s of its
process), its peak RSS growth, the flood rate achieved and what the flood got back.

The server (``tests/security/flood_server.py``: the real SipStack with overload control) and
the flooder each run in their own process; the machine's cores are shared, so the CPU figures
include contention. ``python -m tests.bench flood`` (figures, no assertions; ``BENCH_FLOOD_SECONDS``
(5) per kind, about 45 s).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tests.interop.conftest import SIPP
from tests.security.harness import FloodResult, run

KINDS = ((None, 1), ("garbage", 1), ("invite", 1), ("via1000", 1), ("mix", 1), ("mix", 200))
SECONDS = int(os.environ.get("BENCH_FLOOD_SECONDS", "5"))  # 10 before: make bench < 8 min


def _line(result: FloodResult) -> str:
    flood = result.flood
    answers = sum(flood.get("answers", {}).values())
    rate = f"{flood['rate']:>7.0f}/s" if flood else "      -  "
    return (
        f"  {result.kind:<9} legit {result.successful:>5}/{result.calls:<5} "
        f"({100 * result.success_ratio:6.2f} %)  server CPU {100 * result.cpu_share:5.1f} %  "
        f"RSS +{result.rss_peak_mb - result.rss_base_mb:5.1f} MB  flood {rate}  "
        f"answers {answers:>5}  peak lag {1000 * result.server.get('peak_lag', 0):6.1f} ms"
    )


def main() -> None:
    if SIPP is None:
        print("SIPp is not installed (apt-get install sip-tester): no figures")
        return
    print(f"SIPp uac 100 cps x {SECONDS} s from 127.0.0.1, flood from 127.0.0.2:")
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as tmp:
        for kind, sources in KINDS:
            name = f"{kind or 'none'}-{sources}"
            result = run(Path(tmp) / name, kind, seconds=SECONDS, cps=100, sources=sources)
            print(_line(result), flush=True)
            drops = result.server.get("drops", {})
            if drops:
                print(f"            dropped by reason: {drops}; lost in the kernel's receive "
                      f"buffer: {result.kernel_drops}", flush=True)  # fmt: skip
