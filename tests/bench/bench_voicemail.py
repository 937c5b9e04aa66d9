"""Voicemail store and API figures: durable commits per second (file + dir fsync + row) on SQLite
and PostgreSQL, listing latency, and GetVoicemail round trips over loopback gRPC.

Prints figures only; PostgreSQL is skipped when 127.0.0.1:5432 is unreachable.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import grpc.aio

from registrations.wgtwo.voicemail.v0 import voicemail_pb2, voicemail_pb2_grpc
from tas.config import Settings, VoicemailSettings
from tas.store.db import Database
from tas.voicemail import VoicemailStore
from tas.voicemail.api import start_voicemail_api
from tas.voicemail.wavfile import pcm16_wav

COMMITS = 200
LISTS = 200
FETCHES = 300
SECONDS = 10.0  # audio per message: 160 kB of PCM16
PG = "postgresql://postgres@127.0.0.1:5432/test"


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def bench_store(name: str, url: str, root: Path) -> None:
    settings = VoicemailSettings(max_messages=COMMITS + 1)
    store = VoicemailStore(Database(url), root, settings)
    await store.open()
    wav = pcm16_wav(bytes(int(16000 * SECONDS)))
    boxes = [f"+47{40000000 + i}" for i in range(10)]
    started = time.perf_counter()
    for i in range(COMMITS):
        await store.deposit(boxes[i % len(boxes)], "+4799999999", wav)
    elapsed = time.perf_counter() - started
    print(f"{name}: {COMMITS / elapsed:7.1f} durable commits/s ({elapsed / COMMITS * 1e3:.2f} ms)")

    latencies = []
    for i in range(LISTS):
        t0 = time.perf_counter()
        await store.list_messages(boxes[i % len(boxes)])
        latencies.append((time.perf_counter() - t0) * 1e3)
    print(
        f"{name}: list of {COMMITS // len(boxes)} messages p50 {percentile(latencies, 50):.2f} ms"
        f" p99 {percentile(latencies, 99):.2f} ms"
    )
    started = time.perf_counter()
    for message in await store.list_messages():
        await store.delete(message.voicemail_id)
    print(f"{name}: {COMMITS / (time.perf_counter() - started):7.1f} deletes/s")
    await store.close()


async def bench_api(root: Path) -> None:
    store = VoicemailStore(Database(f"sqlite+aiosqlite:///{root / 'api.db'}"), root / "api")
    await store.open()
    message = await store.deposit("+4712345678", "+4799999999", pcm16_wav(bytes(16000 * 30)))
    settings = Settings(data_dir=root, voicemail=VoicemailSettings(api_tokens=["bench"]))
    api = await start_voicemail_api(settings, store, address="127.0.0.1:0")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{api.port}") as channel:
        stub = voicemail_pb2_grpc.VoicemailMediaServiceStub(channel)  # type: ignore[no-untyped-call]
        request = voicemail_pb2.GetVoicemailRequest(voicemail_id=message.voicemail_id)
        auth = (("authorization", "Bearer bench"),)
        latencies = []
        started = time.perf_counter()
        for _ in range(FETCHES):
            t0 = time.perf_counter()
            await stub.GetVoicemail(request, metadata=auth)
            latencies.append((time.perf_counter() - t0) * 1e3)
        elapsed = time.perf_counter() - started
    print(
        f"API GetVoicemail (30 s WAV, {message.size} B): {FETCHES / elapsed:.0f}/s,"
        f" p50 {percentile(latencies, 50):.2f} ms p99 {percentile(latencies, 99):.2f} ms"
    )
    await api.stop(None)
    await store.close()


async def pg_database() -> tuple[str, str] | None:
    try:
        import asyncpg

        conn = await asyncpg.connect(PG, timeout=3)
    except Exception as exc:
        print(f"PostgreSQL: skipped ({exc})")
        return None
    name = f"tas_vm_bench_{uuid.uuid4().hex[:8]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return name, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def drop(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG, timeout=3)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        await bench_store("SQLite", f"sqlite+aiosqlite:///{root / 'vm.db'}", root / "sqlite")
        pg = await pg_database()
        if pg is not None:
            try:
                await bench_store("PostgreSQL", pg[1], root / "pg")
            finally:
                await drop(pg[0])
        await bench_api(root)


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
