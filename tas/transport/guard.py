"""The stack's overload guard: the asyncio side of :mod:`tas.transport.overload` and
:mod:`tas.transport.admission` (DESIGN: "Everything is bounded").

:class:`OverloadGuard` holds the per-source buckets, the admission counters, the lag signal
and the rate-limited drop log of one :class:`~tas.transport.stack.SipStack`. Its
:class:`LagMonitor` samples event-loop lag every ``lag_interval`` with ``loop.call_at``: the
lag is how late the timer fires. The same tick emits the pending rate-limited log lines.

``stats`` (reason -> count, separately for drops and 503s) feeds the Prometheus collector
:class:`tas.metrics.OverloadCollector`.
"""

from __future__ import annotations

import asyncio
import logging

from tas.logs import log_event
from tas.sip.endpoint import Endpoint
from tas.sip.errors import ParseError
from tas.sip.message import Request
from tas.sip.routing import stamp_via
from tas.sip.transaction_base import Peer, response_peer
from tas.transport.admission import Admission, LagSignal, RateLimitedLog, Verdict
from tas.transport.overload import OverloadLimits, SourceBuckets

__all__ = ["LagMonitor", "OverloadGuard"]

log = logging.getLogger("tas.transport.overload")


class OverloadGuard:
    """Buckets, admission, lag and the drop log of one stack."""

    def __init__(self, limits: OverloadLimits) -> None:
        self.limits = limits
        self.buckets = SourceBuckets(limits)
        self.admission = Admission(limits)
        self.lag = LagSignal(limits.lag_threshold, limits.lag_hold)
        self.drops = RateLimitedLog(limits.log_interval)  # reason -> dropped messages
        self.rejects = RateLimitedLog(limits.log_interval)  # reason -> 503s sent
        self.errors = RateLimitedLog(limits.log_interval)  # reason -> receive errors
        #: set by ``tas serve`` on SIGTERM (tas.drain): new INVITEs and OPTIONS are refused
        #: (503 + Retry-After to trusted sources) so a load balancer fails over and takes us out
        self.draining = False

    @property
    def overloaded(self) -> bool:
        return self.lag.overloaded

    def admit(
        self, request: Request, peer: Peer, trusted: bool, endpoint: Endpoint, now: float
    ) -> bool:
        """A request without a To tag: True to hand it to the endpoint. A new INVITE or
        out-of-dialog transaction past a bound (or under lag) is refused: 503 + Retry-After
        queued on ``endpoint`` for a trusted source, nothing for an untrusted one.
        Retransmissions (their transaction exists), ACK and CANCEL always pass."""
        method = request.method
        if method == "ACK" or method == "CANCEL":
            return True
        servers = endpoint.layer.servers
        if request.transaction_key in servers:
            return True
        if self.draining and (method == "INVITE" or method == "OPTIONS"):
            self.rejected_or_dropped(
                request, peer, trusted, endpoint, f"{method.lower()}_draining", now
            )
            return False
        admission = self.admission
        overloaded = self.lag.overloaded
        if method == "INVITE":
            live = endpoint.incoming_calls()
            subscriber = getattr(request.uri, "user", None) or ""
            verdict, reason = admission.invite(
                peer.host, subscriber, trusted, live, len(live), len(servers), overloaded
            )
            if verdict is Verdict.ADMIT:
                key = (request.call_id, request.from_.tag or "", request.cseq.seq)
                admission.admitted(peer.host, subscriber, trusted, key)
                return True
        else:
            verdict = admission.request(trusted, len(servers), overloaded)
            reason = "lag" if overloaded else "transactions"
            if verdict is Verdict.ADMIT:
                return True
        self.rejected_or_dropped(
            request, peer, verdict is not Verdict.DROP, endpoint, f"{method.lower()}_{reason}", now
        )
        return False

    def rejected_or_dropped(
        self,
        request: Request,
        peer: Peer,
        answer: bool,
        endpoint: Endpoint,
        reason: str,
        now: float,
    ) -> None:
        """Refuse ``request``: 503 + Retry-After when ``answer`` (a trusted source), else
        drop it; counted and logged under ``reason``."""
        if answer:
            self._refuse(request, peer, endpoint)
            self.rejected(reason, peer.host, now)
        else:
            self.dropped(reason, peer.host, now)

    def _refuse(self, request: Request, peer: Peer, endpoint: Endpoint) -> None:
        """503 Service Unavailable with Retry-After (RFC 3261 §21.5.4, §20.33), sent
        statelessly (§8.2.7): under overload we keep no transaction for what we refuse."""
        try:
            stamp_via(request, peer)
        except ParseError:
            return
        response = request.create_response(503, to_tag=endpoint.new_tag())
        response.headers.add("Retry-After", str(self.limits.retry_after))
        endpoint.layer.send_stateless(bytes(response), response_peer(request.top_via, peer))

    def dropped(self, reason: str, host: str, now: float) -> None:
        """Count a message dropped without an answer; log at most once per interval."""
        count = self.drops.note(reason, now)
        if count is not None:
            self._warn("overload_drop", reason, count, host)

    def rejected(self, reason: str, host: str, now: float) -> None:
        """Count a 503 + Retry-After sent; log at most once per interval."""
        count = self.rejects.note(reason, now)
        if count is not None:
            self._warn("overload_503", reason, count, host)

    def _warn(self, event: str, reason: str, count: int, host: str) -> None:
        log_event(
            log,
            event,
            level=logging.WARNING,
            reason=reason,
            count=count,
            last_source=host,
            lag=round(self.lag.lag, 3),
        )

    def error(self, reason: str, now: float) -> bool:
        """Count a receive error; True when this one may be logged (with its traceback)."""
        return self.errors.note(reason, now) is not None

    def flush_log(self, now: float) -> None:
        for kind, table in (("drop", self.drops), ("503", self.rejects), ("error", self.errors)):
            for reason, count in table.due(now):
                log_event(
                    log, f"overload_{kind}", level=logging.WARNING, reason=reason, count=count
                )


class LagMonitor:
    """Samples event-loop lag into ``guard.lag``; start with :meth:`start`, end with
    :meth:`stop`."""

    def __init__(self, guard: OverloadGuard, loop: asyncio.AbstractEventLoop) -> None:
        self.guard = guard
        self.loop = loop
        self.interval = guard.limits.lag_interval
        self._handle: asyncio.TimerHandle | None = None
        self._expected = 0.0

    def start(self) -> None:
        if self.interval > 0 and self._handle is None:
            self._expected = self.loop.time() + self.interval
            self._handle = self.loop.call_at(self._expected, self._tick)

    def _tick(self) -> None:
        now = self.loop.time()
        guard = self.guard
        was = guard.lag.overloaded
        if guard.lag.observe(max(0.0, now - self._expected), now) != was:
            log_event(
                log,
                "overload_start" if not was else "overload_end",
                level=logging.WARNING,
                lag=round(guard.lag.lag, 3),
                threshold=round(guard.lag.threshold, 3),
            )
        guard.flush_log(now)
        self._expected = now + self.interval
        self._handle = self.loop.call_at(self._expected, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
