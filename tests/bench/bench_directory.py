"""INVITE decision time before/after the call directory (issue #10 item 3): the old path read
every registration and the number's policies from SQL (SQLite file here) and decoded the leg
over the whole list; the directory answers from memory. Prints µs per decision for 100 and
5,000 stored numbers, and the old path under 200 concurrent INVITEs (pool contention) at 100
numbers, 20 at 5,000 (200 there took 35 s of ``make bench``'s 8 minutes, issue 17)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from registrations.model import Registration, Route
from registrations.store import RegistrationStore, routable
from tas.calls.directory import Directory
from tas.calls.directory_sync import DirectorySync
from tas.calls.policy import Action, Policy, decide
from tas.calls.policy_store import PolicyStore
from tas.calls.routing import decode_leg
from tas.store import Database

CALLER = "+4711111111"


def _number(i: int) -> str:
    return f"+47{90000000 + i}"


async def _fill(db: Database, count: int) -> None:
    regs, policies = RegistrationStore(db), PolicyStore(db)
    for i in range(count):
        reg = Registration(_number(i), Route.LOOP, "sips:tas.example.com", "", "22")
        await regs.set_desired(reg.phone_number, reg, 0.0)
        if i % 10 == 0:
            await policies.put(Policy(reg.phone_number, Action.REJECT, status=486))


async def _old_decision(db: Database, target: str) -> None:
    """What CallApp._incoming/_decide did per INVITE before the directory."""
    regs = [r for e in await RegistrationStore(db).entries() if (r := routable(e)) is not None]
    info = decode_leg(target, CALLER, regs)
    assert info is not None
    decide(info, await PolicyStore(db).for_number(info.subscriber))


def _new_decision(directory: Directory, target: str) -> None:
    info = directory.find(target, CALLER)
    assert info is not None
    decide(info, directory.policies_for(info.subscriber))


async def _run(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'tas.db'}")
        await db.migrate()
        await _fill(db, count)
        directory = Directory()
        sync = DirectorySync(db, directory)
        await sync.start()
        targets = ["+22" + _number(i % count)[1:] for i in range(200)]
        old, sample = [], 50 if count <= 1000 else 10
        burst_size = 200 if count <= 1000 else 20
        for target in targets[:sample]:
            start = time.perf_counter()
            await _old_decision(db, target)
            old.append(time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(50):
            for target in targets:
                _new_decision(directory, target)
        new = (time.perf_counter() - start) / (50 * len(targets))
        start = time.perf_counter()
        results = await asyncio.gather(
            *(_old_decision(db, t) for t in targets[:burst_size]), return_exceptions=True
        )
        burst = time.perf_counter() - start
        failed = sum(isinstance(r, Exception) for r in results)
        print(
            f"{count:>5} numbers: before {statistics.median(old) * 1e6:>9.0f} µs/decision "
            f"(median of {sample}), after {new * 1e6:.1f} µs/decision; "
            f"{burst_size} concurrent before: {burst:.2f} s, {failed} failed"
        )
        await sync.stop()
        await db.close()


def main() -> None:
    for count in (100, 5000):
        asyncio.run(_run(count))


if __name__ == "__main__":
    main()
