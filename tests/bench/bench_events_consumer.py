"""Event consumer: events/s consumed from the sandbox's EventsService with manual ack and
durable storage (SQLite, and PostgreSQL on 127.0.0.1:5432 db ``test`` when reachable), and
end-to-end lag (published in the sandbox -> committed in SQL) p50/p99 at a paced rate.

The sandbox control plane runs in a child process (``python -m
tests.bench.bench_events_consumer serve``, driven over stdin/stdout) so the figures are the
consumer's; production settings: queue+durable, max_in_flight 50, ack timeout 30 s.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete

from tas.config import EventsSettings, SandboxSettings, Settings
from tas.events import CoreEvent, EventConsumer
from tas.store import Database

BACKLOG = 4000  # events queued before the consumer starts (throughput)
PACED_RATE = 300  # events/s published while consuming (lag)
PACED_SECONDS = 3.0
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/h_perfevents_bench"
ROOT = Path(__file__).resolve().parents[2]


# -- child: the sandbox ---------------------------------------------------------------------


async def _serve() -> None:
    """Run a control plane; obey ``backlog N`` / ``paced N RATE`` lines until stdin closes."""
    from tas.sandbox.grpc_server import ControlPlane

    plane = ControlPlane(SandboxSettings())
    print("ready", await plane.start("127.0.0.1:0"), flush=True)
    published = 0
    while line := await asyncio.to_thread(sys.stdin.readline):
        words = line.split()
        count = int(words[1])
        rate = float(words[2]) if words[0] == "paced" else None
        began = time.perf_counter()
        for n in range(count):
            plane.publish_voice_event(
                f"bench-{published}", "CALL_INITIATED", "+4791111111", "+4792222222"
            )
            published += 1
            if rate is not None:
                await asyncio.sleep(max(began + (n + 1) / rate - time.perf_counter(), 0))
            elif n % 500 == 499:
                await asyncio.sleep(0)  # let the server stream while the backlog builds
        print("ok", flush=True)
    await plane.stop(grace=0)


# -- parent: the consumer -------------------------------------------------------------------


class _Sandbox:
    def __init__(self, process: asyncio.subprocess.Process, address: str) -> None:
        self.process = process
        self.address = address

    @classmethod
    async def start(cls) -> _Sandbox:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench.bench_events_consumer",
            "serve",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if not line.startswith(b"ready "):
            process.kill()
            raise RuntimeError(f"sandbox child did not start: {line!r}")
        return cls(process, line.split()[1].decode())

    async def command(self, text: str) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(text.encode() + b"\n")
        await self.process.stdin.drain()
        reply = await asyncio.wait_for(self.process.stdout.readline(), 60)
        if reply.strip() != b"ok":
            raise RuntimeError(f"sandbox child answered {reply!r} to {text!r}")

    async def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def _wait(condition: Callable[[], bool], within: float) -> None:
    end = time.monotonic() + within
    while not condition():
        if time.monotonic() > end:
            raise RuntimeError("benchmark stalled: the consumer did not catch up")
        await asyncio.sleep(0.002)


async def _run(url: str, label: str) -> None:
    db = Database(url)
    await db.migrate()
    started_at = datetime.now(UTC)
    sandbox = await _Sandbox.start()
    settings = Settings(
        sandbox=SandboxSettings(grpc=sandbox.address),
        events=EventsSettings(queue_name=f"bench-{label}", durable_name=f"bench-{label}"),
    )
    consumer = EventConsumer(settings, db)
    try:
        await sandbox.command(f"backlog {BACKLOG}")
        began = time.perf_counter()
        consumer.start()
        await _wait(lambda: consumer.stats.acked >= BACKLOG, 60)
        elapsed = time.perf_counter() - began
        stats = consumer.stats
        print(
            f"{label:10s} backlog of {BACKLOG}: {BACKLOG / elapsed:6.0f} events/s stored+acked "
            f"(stored {stats.stored}, duplicates {stats.duplicates}, acked {stats.acked})"
        )
        stats.lags.clear()
        total = int(PACED_RATE * PACED_SECONDS)
        await sandbox.command(f"paced {total} {PACED_RATE}")
        await _wait(lambda: consumer.stats.acked >= BACKLOG + total, 30)
        lags = sorted(stats.lags)
        p50 = statistics.median(lags) * 1000
        p99 = lags[min(len(lags) - 1, round(0.99 * len(lags)))] * 1000
        print(
            f"{label:10s} lag publish->commit at {PACED_RATE}/s ({len(lags)} events): "
            f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
        )
    finally:
        await consumer.stop()
        await sandbox.close()
        async with db.engine.begin() as conn:  # leave a shared database as we found it
            await conn.execute(delete(CoreEvent).where(CoreEvent.received >= started_at))  # type: ignore[arg-type]
        await db.close()


async def _postgres_problem() -> str | None:
    import asyncpg

    try:
        conn = await asyncio.wait_for(
            asyncpg.connect("postgresql://postgres@127.0.0.1:5432/h_perfevents_bench"), 3
        )
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


async def _main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await _run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", "sqlite")
    problem = await _postgres_problem()
    if problem:
        print(f"postgresql skipped: 127.0.0.1:5432 db test unreachable ({problem})")
    else:
        await _run(PG_URL, "postgresql")


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        asyncio.run(_serve())
    else:
        main()
