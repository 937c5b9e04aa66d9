"""``make bench-quick`` (about a minute): the headline figures of issue 17, each beside its peer
of the same run where one exists.

* SIP: server CPU per call of ``tas serve`` / the naive responder / SIPp's uas at 300 calls/s
  for 3 s (:mod:`tests.bench.sip_cpu`).
* Memory: RSS per held call of ``tas serve`` next to SIPp's uas, 600 calls held
  (:mod:`tests.bench.bench_memory`; ``make bench`` holds 10,000).
* Media: the media engine's Python µs per packet, receive+record and send, sockets left out
  (``bench_media._python_cost``; the full run with the kernel path is ``make bench``).
* Events: the sans-IO bus's publish+poll+ack events/s (``bench_events._bus``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

from tests.bench import bench_events, bench_media, bench_memory
from tests.bench.bench_sip_calls import SIPP
from tests.bench.sip_cpu import cpu_per_call, report


def main() -> None:
    started = time.perf_counter()
    if SIPP is None:
        print("SIP: sipp not installed: skipped (apt-get install sip-tester)")
    else:
        with tempfile.TemporaryDirectory(prefix="bench_quick_") as tmp:
            report(cpu_per_call(Path(tmp), 300, 3.0), 300, 3.0)
            bench_memory.print_held(
                [bench_memory.held_figure(bench_memory.start_tas, Path(tmp), 600, 250),
                 bench_memory.held_figure(bench_memory.start_uas, Path(tmp), 600, 1000)]
            )  # fmt: skip
    folder = tempfile.mkdtemp(prefix="bench_quick_media_")
    try:
        rx, tx = asyncio.run(bench_media._python_cost(folder, 5000))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"media Python work per packet (no sockets): receive+record {rx:.1f} us, send {tx:.1f} us"
    )
    bench_events._bus()
    print(
        f"bench-quick: {time.perf_counter() - started:.0f} s "
        f"(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
