"""The next hops of a forwarded call's outgoing leg, and failover between them (RFC 3263 §4.3).

:func:`forward_peers` turns a :class:`~tas.calls.forward.ForwardPlan` into the peers to try: the
plan's own peer for ``core``, numbers and numeric URIs (no DNS), the RFC 3263 §4 targets
(:class:`~tas.dns.resolver.SipResolver`) for a ``sip:``/``sips:`` URI with a host name.

:class:`Failover` places the leg on the first peer and hooks into the B2BUA
(``Bridge.retry``): when that leg fails with 503, or with the 408/503 the transaction layer
synthesises for a timeout or a transport error (connection refused, RFC 3261 §8.1.3.1), and
the caller is still waiting, the INVITE is sent anew (a new transaction, §4.3) to the next
target; the last target's failure is relayed to the caller as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from tas.calls.b2bua import Bridge
from tas.calls.bridge_notes import note_failover
from tas.calls.forward import ForwardPlan
from tas.calls.journal import CallJournal
from tas.dns.resolver import SipResolver
from tas.logs import log_event
from tas.sip.errors import LocalProtocolError
from tas.sip.message import Response
from tas.sip.transaction_base import Peer

__all__ = ["FAILOVER_STATUSES", "Failover", "forward_peers"]

log = logging.getLogger(__name__)

#: §4.3: 503 from the server, or the 408 (timeout) / 503 (transport error) the client
#: transaction synthesises, move on to the next target.
FAILOVER_STATUSES = frozenset({408, 503})


async def forward_peers(plan: ForwardPlan, resolver: SipResolver) -> list[Peer]:
    """The peers to try for ``plan``, best first; empty when there is none."""
    if plan.by_name is None:
        return [plan.peer] if plan.peer is not None else []
    targets = await resolver.targets(plan.by_name)
    return [Peer(t.transport, t.host, t.port) for t in targets]


class Failover:
    """Leg ``b`` of ``bridge`` tried on ``peers`` in turn (RFC 3263 §4.3)."""

    def __init__(
        self,
        bridge: Bridge,
        plan: ForwardPlan,
        peers: list[Peer],
        *,
        from_uri: str | None,
        headers: Mapping[str, str],
        retire: Callable[[CallJournal], None],
    ) -> None:
        self.bridge = bridge
        self.plan = plan
        self.remaining = list(peers)
        self.from_uri = from_uri
        self.headers = dict(headers)
        self.retire = retire  # closes the journal of an attempt that failed over
        self.tried: list[Peer] = []

    def start(self, now: float) -> None:
        """Place the leg on the first peer; LocalProtocolError when there is none."""
        if not self.remaining:
            raise LocalProtocolError(f"no target for {self.plan.uri} (RFC 3263 §4)")
        self.bridge.retry = self.retry
        self._place(now)

    def _place(self, now: float) -> None:
        peer = self.remaining.pop(0)
        self.tried.append(peer)
        self.bridge.start(self.plan.uri, peer, now, from_uri=self.from_uri, headers=self.headers)

    def retry(self, bridge: Bridge, response: Response, now: float) -> bool:
        """``Bridge.retry``: True when the failure was taken over by the next target."""
        status = response.status
        if status not in FAILOVER_STATUSES or not self.remaining:
            return False
        if bridge.a.state not in ("incoming", "early"):  # the caller is gone: nothing to try
            return False
        journal = bridge.b_journal
        if journal is not None:
            note_failover(journal, status)
            self.retire(journal)
        log_event(
            log,
            "forward_failover",
            call_id=bridge.a.call_id,
            status=status,
            failed=self.tried[-1],
            next=self.remaining[0],
        )
        try:
            self._place(now)
        except (LocalProtocolError, ValueError) as exc:
            log_event(log, "forward_failover_failed", level=logging.WARNING, error=exc)
            return False
        return True
