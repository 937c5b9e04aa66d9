"""Load runs (asyncio): calls started at ``rate`` per second, at most ``concurrency`` at once,
until ``calls`` were placed or ``duration`` seconds passed; every run is bounded in count and
in time (a hard deadline abandons what is still open).

All calls share one :class:`~tas.harness.stack.HarnessStack` and one media engine, as SIPp's
single socket does. Each call is a :func:`~tas.harness.call.place_call` with the talk time of
the plan, without listening, recording, DTMF or hold. The objects alive before the run are
frozen out of the garbage collector (``gc.freeze``): a full collection over everything the
process imported takes ~100 ms, and would show up as setup latency of the calls it stalls.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from media.session import MediaEngine
from tas.harness.call import CallSpec, place_call
from tas.harness.stack import HarnessStack
from tas.harness.summary import CallOutcome, LoadSummary, summarize
from tas.harness.target import connect_failure, udp_refused
from tas.harness.wire_stats import WireStats

__all__ = ["LIMITS", "LoadPlan", "LoadProgress", "run_load"]

#: Upper bounds of a plan: calls, seconds of generation, calls per second, concurrent calls.
LIMITS = {"calls": 100_000, "duration": 3600.0, "rate": 5000.0, "concurrency": 10_000}
GRACE = 40.0  # seconds after the last INVITE + talk time before open calls are abandoned


@dataclass(frozen=True, slots=True)
class LoadPlan:
    rate: float
    concurrency: int
    calls: int | None = None
    duration: float | None = None
    talk: float = 1.0

    def __post_init__(self) -> None:
        if (self.calls is None) == (self.duration is None):
            raise ValueError("a load run needs exactly one of --calls or --duration")
        if not 0 < self.rate <= LIMITS["rate"]:
            raise ValueError(f"--rate must be in (0, {LIMITS['rate']:g}] calls per second")
        if not 1 <= self.concurrency <= LIMITS["concurrency"]:
            raise ValueError(f"--concurrency must be in 1..{LIMITS['concurrency']}")
        if self.calls is not None and not 1 <= self.calls <= LIMITS["calls"]:
            raise ValueError(f"--calls must be in 1..{LIMITS['calls']}")
        if self.duration is not None and not 0 < self.duration <= LIMITS["duration"]:
            raise ValueError(f"--duration must be in (0, {LIMITS['duration']:g}] s")
        if not 0 <= self.talk <= 3600:
            raise ValueError("--talk must be in [0, 3600] s")

    @property
    def planned_calls(self) -> int:
        if self.calls is not None:
            return self.calls
        assert self.duration is not None
        return max(1, math.ceil(self.duration * self.rate))

    @property
    def deadline(self) -> float:
        """Seconds after the start when whatever is still open is abandoned."""
        return self.planned_calls / self.rate + self.talk + GRACE


@dataclass(frozen=True, slots=True)
class LoadProgress:
    planned: int
    started: int
    finished: int
    answered: int
    failed: int
    active: int
    elapsed: float
    wire: WireStats  # live counters (SIPp-like screen)


async def run_load(
    stack: HarnessStack,
    engine: MediaEngine | None,
    spec: CallSpec,
    plan: LoadPlan,
    *,
    on_progress: Callable[[LoadProgress], None] | None = None,
) -> LoadSummary:
    loop = asyncio.get_running_loop()
    gc.collect()
    gc.freeze()
    call_spec = replace(
        spec, duration=plan.talk, listen=False, record=None, dtmf=(), hold=False, after_beep=None
    )
    outcomes: list[CallOutcome] = []
    tasks: set[asyncio.Task[None]] = set()
    slots = asyncio.Semaphore(plan.concurrency)
    planned = plan.planned_calls
    start = loop.time()
    hard_stop = start + plan.deadline
    last_invite = start
    stopped_early: str | None = None
    heard = False  # some call got something from the far end
    wire = WireStats()
    earlier_tap = stack.tap

    def tap(direction: str, data: bytes, at: float, peer: str) -> None:
        wire.tap(direction, data, at, peer)
        if earlier_tap is not None:
            earlier_tap(direction, data, at, peer)

    stack.tap = tap

    async def one(index: int, started: float) -> None:
        nonlocal heard, stopped_early
        try:
            result = await place_call(stack, engine, call_spec)
        except Exception as exc:  # a bug must not stop the run: count it
            outcomes.append(CallOutcome(index, started, None, None, f"harness error: {exc!r}"))
            return
        finally:
            slots.release()
        if result.answered and result.setup_latency is not None:
            wire.setup(result.setup_latency)
        if not result.unreachable and (result.answered or wire.heard):
            heard = True
        elif not heard and stopped_early is None:  # fail fast, as SIPp does on a refused connect
            why = result.error or connect_failure(stack, spec.peer).strip(" ()")
            stopped_early = f"target unreachable: {why or f'final status {result.status}'}"
        rtp = result.rtp
        outcomes.append(
            CallOutcome(
                index,
                started,
                result.status,
                result.setup_latency,
                None if result.status is not None else (result.error or "no response"),
                rtp.packets_sent if rtp else 0,
                rtp.packets_received if rtp else 0,
                rtp.lost if rtp else 0,
                rtp.jitter if rtp else 0.0,
            )
        )

    def report() -> None:
        if on_progress is None:
            return
        answered = sum(1 for o in outcomes if o.answered)
        on_progress(
            LoadProgress(
                planned,
                started_count,
                len(outcomes),
                answered,
                len(outcomes) - answered,
                len(tasks),
                loop.time() - start,
                wire,
            )
        )

    async def ticker() -> None:
        while True:
            report()
            await asyncio.sleep(0.2)

    started_count = 0
    peer = spec.peer
    if peer.transport == "UDP" and await asyncio.to_thread(udp_refused, peer.host, peer.port):
        # no call would hear anything before Timer B (32 s): stop now, as on a refused connect
        stopped_early = "target unreachable: connection refused (ICMP port unreachable)"
    progress = asyncio.ensure_future(ticker())
    try:
        while started_count < planned and stopped_early is None:
            now = loop.time()
            if now >= hard_stop:
                stopped_early = "deadline reached while generating"
                break
            due = min(planned, math.floor((now - start) * plan.rate) + 1)
            while started_count < due and stopped_early is None:
                if slots.locked():
                    break
                await slots.acquire()
                offset = loop.time() - start
                task = asyncio.ensure_future(one(started_count, offset))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                last_invite = loop.time()
                started_count += 1
            if started_count >= planned:
                break
            if slots.locked():  # at the concurrency cap: wait for a slot
                await slots.acquire()
                slots.release()
                continue
            next_due = start + started_count / plan.rate
            await asyncio.sleep(max(0.0, next_due - loop.time()))
        if tasks:
            remaining = max(0.0, hard_stop - loop.time())
            _, pending = await asyncio.wait(set(tasks), timeout=remaining)
            if pending:
                stopped_early = f"deadline reached with {len(pending)} call(s) open"
                for task in pending:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*pending, return_exceptions=True)
                done = {o.index for o in outcomes}
                for index in range(started_count):
                    if index not in done:
                        outcomes.append(CallOutcome(index, 0.0, None, None, "abandoned"))
    finally:
        stack.tap = earlier_tap
        gc.unfreeze()
        progress.cancel()
        for task in tasks:
            task.cancel()
    report()
    end = loop.time()
    outcomes.sort(key=lambda o: o.index)
    return summarize(
        outcomes,
        target=spec.target,
        transport=spec.peer.transport,
        media=engine is not None,
        rate=plan.rate,
        concurrency=plan.concurrency,
        elapsed=end - start,
        generating=last_invite - start,
        stopped_early=stopped_early,
        wire=wire,
    )
