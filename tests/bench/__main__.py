"""``make bench``: run every ``tests/bench/bench_*.py`` module's ``main()`` in turn.

Benchmarks print figures (rates, percentiles, ratios); they assert nothing about speed.
``python -m tests.bench sip_parse`` runs only the modules whose name contains ``sip_parse``.
Each module's elapsed time and the whole run's are printed with the 1-minute load average beside
them (the machine may be shared: a loaded machine stretches both the time and the figures).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time

import tests.bench as package


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("bench_") and (not wanted or any(w in info.name for w in wanted))
    )
    failed: list[str] = []
    begun = time.perf_counter()
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"tests.bench.{name}").main()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed.append(name)
            print(f"!!! {name} failed: {exc!r}", flush=True)
        print(f"--- {name}: {time.perf_counter() - started:.1f} s ({_load()})", flush=True)
    print(
        f"\n=== all: {time.perf_counter() - begun:.0f} s ({_load()})"
        + (f", failed: {failed}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
