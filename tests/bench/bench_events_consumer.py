"""Event consumer (issue 17 goal 4): events/s stored and acked from a backlog into SQLite and
PostgreSQL (127.0.0.1:5432, database ``$BENCH_EVENTS_PG``, default ``h_perfevents_bench``,
created when missing), and the publish->commit lag p50/p99 at a paced 1,000 (the goal) and
300 events/s, each beside peers from the same run:

* ``bare gRPC client``: the same sandbox, a client that only reads and acks (no SQL) — the
  ceiling the sandbox's manual-ack path leaves the consumer;
* ``store alone``: :class:`EventStore` saving the same rows in the consumer's batch size, no gRPC;
* ``raw driver``: the same rows with asyncpg ``COPY`` (into a temporary copy of the table with
  its indexes) or stdlib ``sqlite3`` ``executemany``, one transaction per batch.

The sandbox control plane runs in a child process on the stdlib loop, as ``tas sandbox`` does
(``python -m tests.bench.bench_events_consumer serve``, driven over stdin/stdout); the consumer
runs here on the loop and GC tuning of ``tas serve``. Settings: queue+durable, manual ack with a
30 s timeout, ``max_in_flight`` 200 (the contract's maximum) and the default batch bounds.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import astuple
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete

from registrations.wgtwo.events.v0 import events_pb2
from tas.config import EventsSettings, SandboxSettings, Settings
from tas.events import CoreEvent, EventConsumer, EventRecord, EventStore, core_event_from_proto
from tas.store import Database
from tas.transport.loop import run
from tests.bench.bench_events import consume

BACKLOG = 4000  # events queued before the consumer starts (throughput)
PACED = ((1000, 2.0), (300, 2.0))  # (events/s, seconds) published while consuming (lag)
MAX_IN_FLIGHT = 200
PG_DATABASE = os.environ.get("BENCH_EVENTS_PG", "h_perfevents_bench")
PG_DSN = f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}"
ROOT = Path(__file__).resolve().parents[2]
A, B = "+4791111111", "+4792222222"


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
            plane.publish_voice_event(f"bench-{published}", "CALL_INITIATED", A, B)
            published += 1
            if rate is not None:
                await asyncio.sleep(max(began + (n + 1) / rate - time.perf_counter(), 0))
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


def _acked(consumer: EventConsumer, count: int) -> Callable[[], bool]:
    return lambda: consumer.stats.acked >= count


def _percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def _consumer(url: str, label: str, stream: str) -> None:
    db = Database(url)
    await db.migrate()
    sandbox = await _Sandbox.start()
    events = EventsSettings(queue_name=stream, durable_name=stream, max_in_flight=MAX_IN_FLIGHT)
    consumer = EventConsumer(
        Settings(sandbox=SandboxSettings(grpc=sandbox.address), events=events), db
    )
    consumer.stream = stream
    try:
        await sandbox.command(f"backlog {BACKLOG}")
        began = time.perf_counter()
        consumer.start()
        await _wait(_acked(consumer, BACKLOG), 60)
        rate = BACKLOG / (time.perf_counter() - began)
        stats = consumer.stats
        print(
            f"{label:10s} consumer, backlog {BACKLOG}: {rate:6.0f} events/s stored+acked "
            f"(stored {stats.stored}, duplicates {stats.duplicates}, "
            f"{stats.stored / max(stats.batches, 1):.0f} events per commit)"
        )
        bare = await consume(
            sandbox.address, BACKLOG, manual=True, max_in_flight=MAX_IN_FLIGHT, durable="bare"
        )
        print(
            f"{label:10s} peer: bare gRPC client, same sandbox, manual ack: {bare:6.0f} events/s "
            f"(consumer at {rate / bare:.2f}x)"
        )
        expected = BACKLOG
        for rate_per_s, seconds in PACED:
            stats.lags.clear()
            total = int(rate_per_s * seconds)
            expected += total
            await sandbox.command(f"paced {total} {rate_per_s}")
            await _wait(_acked(consumer, expected), 30)
            p50, p99 = _percentiles(list(stats.lags))
            print(
                f"{label:10s} lag publish->commit at {rate_per_s}/s ({len(stats.lags)} events): "
                f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
            )
        await _store_peers(db, label, consumer)
    finally:
        await consumer.stop()
        await sandbox.close()
        async with db.engine.begin() as conn:  # leave a shared database as we found it
            await conn.execute(delete(CoreEvent).where(CoreEvent.stream == stream))  # type: ignore[arg-type]
        await db.close()


def _rows(stream: str, count: int) -> list[EventRecord]:
    """``count`` rows shaped like the sandbox's voice events (the same fields and sizes)."""
    now = datetime.now(UTC)
    rows = []
    for n in range(count):
        event = events_pb2.Event(
            voice_event=events_pb2.VoiceEvent(
                call_id=f"peer-{n}", type=events_pb2.VoiceEvent.CALL_INITIATED
            ),
        )
        event.owner.phone_number.e164 = B
        event.voice_event.from_number.e164 = A
        event.voice_event.to_number.e164 = B
        event.timestamp.GetCurrentTime()
        event.metadata.sequence = n + 1
        rows.append(core_event_from_proto(event, stream, now))
    return rows


async def _timed(
    batches: list[list[EventRecord]], save: Callable[[list[EventRecord]], Awaitable[object]]
) -> float:
    began = time.perf_counter()
    for batch in batches:
        await save(batch)
    return sum(map(len, batches)) / (time.perf_counter() - began)


async def _store_peers(db: Database, label: str, consumer: EventConsumer) -> None:
    size = consumer.batch_size
    stream = f"{consumer.stream}-peer"
    rows = _rows(stream, BACKLOG)
    batches = [rows[i : i + size] for i in range(0, len(rows), size)]
    store = await _timed(batches, EventStore(db).save)
    if db.engine.dialect.name == "postgresql":
        raw, how = await _asyncpg_copy(batches), "asyncpg COPY"
    else:
        url = db.engine.url.database
        assert url is not None
        raw, how = (
            await asyncio.to_thread(_sqlite_executemany, url + "-peer", batches),
            "sqlite3 executemany",
        )
    async with db.engine.begin() as conn:
        await conn.execute(delete(CoreEvent).where(CoreEvent.stream == stream))  # type: ignore[arg-type]
    print(
        f"{label:10s} peers, batches of {size}: store alone {store:6.0f} events/s, "
        f"raw {how} {raw:6.0f} events/s"
    )


async def _asyncpg_copy(batches: list[list[EventRecord]]) -> float:
    import asyncpg

    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute("CREATE TEMP TABLE peer_event (LIKE core_event INCLUDING ALL)")
        columns = [c.name for c in CoreEvent.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]

        async def copy(batch: list[EventRecord]) -> None:
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "peer_event", records=[astuple(row) for row in batch], columns=columns
                )

        return await _timed(batches, copy)
    finally:
        await conn.close()


def _sqlite_executemany(path: str, batches: list[list[EventRecord]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE peer_event (id INTEGER PRIMARY KEY, event_key TEXT UNIQUE, stream, "
            "sequence, kind, type, call_id, voicemail_id, from_number, to_number, owner, "
            "caller_id_hidden, service_id, timestamp, received, redelivered, payload)"
        )
        for column in ("stream", "call_id", "voicemail_id", "owner", "timestamp"):
            conn.execute(f"CREATE INDEX peer_{column} ON peer_event ({column})")
        insert = (
            "INSERT OR IGNORE INTO peer_event (event_key, stream, sequence, kind, type, call_id, "
            "voicemail_id, from_number, to_number, owner, caller_id_hidden, service_id, "
            "timestamp, received, redelivered, payload) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        )
        began = time.perf_counter()
        for batch in batches:
            conn.execute("BEGIN")
            conn.executemany(insert, [_sqlite_values(row) for row in batch])
            conn.execute("COMMIT")
        return sum(map(len, batches)) / (time.perf_counter() - began)
    finally:
        conn.close()


def _sqlite_values(row: EventRecord) -> tuple[object, ...]:
    values = list(astuple(row))
    values[12], values[13] = row.timestamp.isoformat(), row.received.isoformat()
    return tuple(values)


async def _postgres_problem() -> str | None:
    import asyncpg

    try:
        try:
            conn = await asyncio.wait_for(asyncpg.connect(PG_DSN), 3)
        except asyncpg.InvalidCatalogNameError:
            admin = await asyncio.wait_for(
                asyncpg.connect(PG_DSN.rsplit("/", 1)[0] + "/postgres"), 3
            )
            try:
                await admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')
            finally:
                await admin.close()
            conn = await asyncio.wait_for(asyncpg.connect(PG_DSN), 3)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


async def _main() -> None:
    stream = f"bench-{os.getpid()}-{int(time.time())}"
    with tempfile.TemporaryDirectory() as tmp:
        await _consumer(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", "sqlite", stream)
    problem = await _postgres_problem()
    if problem:
        print(f"postgresql skipped: {PG_DSN} unreachable ({problem})")
    else:
        await _consumer(
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DATABASE}", "postgresql", stream
        )


def main() -> None:
    run(_main(), server=True)  # the loop and GC tuning of `tas serve`


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        asyncio.run(_serve())
    else:
        main()
