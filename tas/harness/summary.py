"""Load-run figures (pure): per-call outcomes in, the report's numbers out.

Setup latency is INVITE sent -> 2xx received; percentiles are nearest-rank. RTP loss is the
sum of lost over the sum of expected packets (RFC 3550 §6.4.1) across calls that received
media; jitter is the RFC 3550 interarrival jitter at the end of each call (mean and max).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tas.harness.wire_stats import WireStats

__all__ = ["CallOutcome", "LoadSummary", "percentile", "summarize"]


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """One call of a load run; times in seconds since the run started."""

    index: int
    started: float
    status: int | None  # None: no final response (error)
    setup_latency: float | None
    error: str | None = None
    packets_sent: int = 0
    packets_received: int = 0
    lost: int = 0
    jitter: float = 0.0

    @property
    def answered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


CSV_FIELDS = (
    "index",
    "started",
    "status",
    "setup_ms",
    "packets_sent",
    "packets_received",
    "lost",
    "jitter_ms",
    "error",
)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank ``p``-th percentile (0 < p <= 100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """The report of one load run."""

    target: str
    transport: str
    media: bool
    rate: float
    concurrency: int
    attempted: int
    answered: int
    failed: int
    failures: dict[str, int]
    elapsed: float  # first INVITE -> last call finished
    achieved_cps: float  # calls started per second while generating
    setup_p50: float | None
    setup_p95: float | None
    setup_p99: float | None
    setup_max: float | None
    packets_sent: int
    packets_received: int
    lost: int
    loss_fraction: float | None
    jitter_mean: float | None
    jitter_max: float | None
    stopped_early: str | None = None
    outcomes: tuple[CallOutcome, ...] = field(default=(), repr=False)
    wire: WireStats | None = field(default=None, repr=False)  # SIP counters, SIPp style

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "transport": self.transport,
            "media": self.media,
            "rate": self.rate,
            "concurrency": self.concurrency,
            "attempted": self.attempted,
            "answered": self.answered,
            "failed": self.failed,
            "failures": dict(self.failures),
            "elapsed_s": round(self.elapsed, 3),
            "achieved_cps": round(self.achieved_cps, 2),
            "setup_ms": {
                "p50": _ms(self.setup_p50),
                "p95": _ms(self.setup_p95),
                "p99": _ms(self.setup_p99),
                "max": _ms(self.setup_max),
            },
            "rtp": {
                "packets_sent": self.packets_sent,
                "packets_received": self.packets_received,
                "lost": self.lost,
                "loss_percent": (
                    None if self.loss_fraction is None else round(100 * self.loss_fraction, 4)
                ),
                "jitter_ms_mean": _ms(self.jitter_mean),
                "jitter_ms_max": _ms(self.jitter_max),
            },
            "stopped_early": self.stopped_early,
            "sip": self.wire.to_dict() if self.wire is not None else None,
        }

    def csv(self) -> str:
        """One row per call."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        for o in self.outcomes:
            writer.writerow(
                [
                    o.index,
                    f"{o.started:.6f}",
                    "" if o.status is None else o.status,
                    "" if o.setup_latency is None else f"{1000 * o.setup_latency:.3f}",
                    o.packets_sent,
                    o.packets_received,
                    o.lost,
                    f"{1000 * o.jitter:.3f}",
                    o.error or "",
                ]
            )
        return out.getvalue()


def summarize(
    outcomes: Sequence[CallOutcome],
    *,
    target: str,
    transport: str,
    media: bool,
    rate: float,
    concurrency: int,
    elapsed: float,
    generating: float,
    stopped_early: str | None = None,
    wire: WireStats | None = None,
) -> LoadSummary:
    """Aggregate ``outcomes``; ``generating`` is the time from the first to the last INVITE."""
    answered = [o for o in outcomes if o.answered]
    failures = Counter(
        str(o.status) if o.status is not None else (o.error or "no response")
        for o in outcomes
        if not o.answered
    )
    setups = [o.setup_latency for o in answered if o.setup_latency is not None]
    with_media = [o for o in answered if o.packets_received > 0]
    lost = sum(o.lost for o in with_media)
    expected = sum(o.packets_received + o.lost for o in with_media)
    jitters = [o.jitter for o in with_media]
    attempted = len(outcomes)
    cps = (attempted - 1) / generating if attempted > 1 and generating > 0 else float(attempted)
    return LoadSummary(
        target=target,
        transport=transport,
        media=media,
        rate=rate,
        concurrency=concurrency,
        attempted=attempted,
        answered=len(answered),
        failed=attempted - len(answered),
        failures=dict(sorted(failures.items())),
        elapsed=elapsed,
        achieved_cps=cps,
        setup_p50=percentile(setups, 50),
        setup_p95=percentile(setups, 95),
        setup_p99=percentile(setups, 99),
        setup_max=max(setups) if setups else None,
        packets_sent=sum(o.packets_sent for o in outcomes),
        packets_received=sum(o.packets_received for o in outcomes),
        lost=lost,
        loss_fraction=lost / expected if expected else None,
        jitter_mean=sum(jitters) / len(jitters) if jitters else None,
        jitter_max=max(jitters) if jitters else None,
        stopped_early=stopped_early,
        outcomes=tuple(outcomes),
        wire=wire,
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 3)
