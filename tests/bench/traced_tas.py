"""``python -m tests.bench.traced_tas serve …``: the ``tas`` command line under tracemalloc, for
``bench_memory --trace``. Each SIGUSR1 writes a snapshot to ``$BENCH_TRACE_FILE.<n>`` (n = 1,
2, …); the bench compares them to find the allocation sites that grow per held call.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import tracemalloc
from types import FrameType


def main() -> None:
    target = os.environ["BENCH_TRACE_FILE"]
    numbers = itertools.count(1)

    def dump(signum: int, frame: FrameType | None) -> None:
        snapshot = tracemalloc.take_snapshot().filter_traces(
            (tracemalloc.Filter(False, tracemalloc.__file__),)
        )
        snapshot.dump(f"{target}.{next(numbers)}")

    tracemalloc.start(1)
    signal.signal(signal.SIGUSR1, dump)
    from tas.cli import main as tas

    sys.argv = ["tas", *sys.argv[1:]]
    tas()


if __name__ == "__main__":
    main()
