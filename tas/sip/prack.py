"""Reliable provisional responses (RFC 3262): RSeq/RAck, retransmission, PRACK.

UAS (§3): :func:`wants_reliable` says whether a 1xx goes reliably (the caller requires
``100rel``, or supports it and the 1xx carries early media). :class:`ReliableProvisionals` keeps
one call's reliable 1xx: RSeq numbers (a random start, +1 each, §3), the one unacknowledged
1xx it retransmits at T1, 2*T1, 4*T1 … until its PRACK, giving up after 64*T1 (the UA core
then rejects the INVITE with a 5xx, §3); a later 1xx waits for the PRACK of the one before
(§3: one unacknowledged reliable provisional at a time). :meth:`ReliableProvisionals.prack`
matches a PRACK's RAck (§7.2) or refuses it with 481; a 1xx still unacknowledged when the
final response went (:meth:`ReliableProvisionals.finish`) is no longer retransmitted, but its
late PRACK still gets 200 (§3: "MUST be prepared to process PRACK requests" for it).

UAC (§4): :func:`rseq_of` reads a reliable 1xx's RSeq; :func:`rack_value` is the RAck of the
PRACK the UA core sends for each new one in order (a repeated or out-of-order RSeq is not
PRACKed again, §4).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from tas.sip.errors import RemoteProtocolError
from tas.sip.message import Request, Response
from tas.sip.timers import TimerConfig

if TYPE_CHECKING:
    from tas.sip.call import Call
    from tas.sip.timers import TimerHeap

__all__ = ["ReliableProvisionals", "wants_reliable", "rseq_of", "rack_value"]


def wants_reliable(invite: Request, has_body: bool, enabled: bool) -> bool:
    """§3: a 1xx goes reliably when the INVITE requires 100rel, or (when ``enabled``) when it
    supports it and the 1xx carries a session description (early media)."""
    if "100rel" in invite.headers.values("Require"):
        return True
    return enabled and has_body and "100rel" in invite.headers.values("Supported")


def rseq_of(response: Response) -> int | None:
    """The RSeq of a reliable provisional (§7.1), None for an unreliable one."""
    if "100rel" not in response.headers.values("Require"):
        return None
    value = (response.headers.get("RSeq") or "").strip()
    return int(value) if value.isdigit() else None


def rack_value(rseq: int, invite: Request) -> str:
    """§7.2: RAck = RSeq, then the CSeq number and method of the INVITE."""
    return f"{rseq} {invite.cseq.seq} {invite.method}"


class ReliableProvisionals:
    """One call's reliable 1xx as UAS: numbering, retransmission and their PRACKs (§3)."""

    __slots__ = (
        "call", "deadlines", "next_rseq", "unacked", "late", "wire", "with_sdp", "queued",
        "deferred_answer", "interval", "give_up", "_heap", "_timers", "_transmit", "_resend", "_failed",
    )  # fmt: skip

    def __init__(
        self,
        call: Call,
        heap: TimerHeap,
        timers: TimerConfig,
        transmit: Callable[[Response, float], None],
        resend: Callable[[bytes], None],
        failed: Callable[[Call, float], None],
    ) -> None:
        self.call = call
        self.deadlines: dict[str, float] = {}  # TimerOwner: the one timer "rel1xx"
        self.next_rseq = 1 + secrets.randbelow(2**31 - 1)  # §3: random start, < 2**31
        self.unacked: int | None = None  # RSeq waiting for its PRACK
        self.late: int | None = None  # RSeq unacknowledged when the final response went
        self.wire = b""
        self.with_sdp = False
        #: 1xx built while one is unacknowledged: sent one by one as the PRACKs come (§3)
        self.queued: list[Response] = []
        #: the 2xx asked for while a 1xx with SDP is unacknowledged (§3: not before its PRACK)
        self.deferred_answer: tuple[bytes, str] | None = None
        self.interval = 0.0
        self.give_up = 0.0
        self._heap = heap
        self._timers = timers
        self._transmit = transmit  # the first time, through the INVITE server transaction
        self._resend = resend  # retransmissions (§3), beside the transaction
        self._failed = failed

    @property
    def pending(self) -> bool:
        return self.unacked is not None

    def send(self, response: Response, now: float) -> None:
        """Send ``response`` reliably: Require: 100rel and the next RSeq (§3, §7.1)."""
        if self.unacked is not None:
            self.queued.append(response)
            return
        rseq = self.next_rseq
        self.next_rseq += 1
        response.headers.add("Require", "100rel")
        response.headers.add("RSeq", str(rseq))
        self.unacked = rseq
        self.wire = bytes(response)
        self.with_sdp = bool(response.body)
        self._transmit(response, now)
        self.interval = self._timers.t1
        self.give_up = now + 64 * self._timers.t1
        self._heap.arm(self, "rel1xx", now + self.interval)

    def prack(self, request: Request, now: float) -> None:
        """A PRACK (§3): it must acknowledge the unacknowledged 1xx, else 481."""
        rack = (request.headers.get("RAck") or "").split()
        invite = self.call.invite
        expected = [str(self.unacked), str(invite.cseq.seq), invite.method]
        if self.unacked is None and rack == [str(self.late), *expected[1:]]:
            self.late = None  # the final response went first: acknowledged, nothing else
            return
        if self.unacked is None or rack != expected:
            raise RemoteProtocolError("PRACK matches no unacknowledged provisional", 481)
        self.stop()
        if self.queued:
            self.send(self.queued.pop(0), now)

    def finish(self) -> None:
        """The final response goes with a 1xx unacknowledged: stop retransmitting it, still
        accept its PRACK (§3)."""
        self.late = self.unacked
        self.queued.clear()  # §3: no new reliable 1xx after the final response
        self.stop()

    def stop(self) -> None:
        """No more retransmissions (PRACKed, answered or ended)."""
        self.unacked = None
        self._heap.discard(self)

    def on_timer(self, name: str, now: float) -> None:
        if self.unacked is None:
            return
        if now >= self.give_up:  # §3: 64*T1 without a PRACK
            self.stop()
            self.queued.clear()
            self._failed(self.call, now)
            return
        self._resend(self.wire)
        self.interval *= 2  # §3: doubling, no T2 cap
        self._heap.arm(self, "rel1xx", min(now + self.interval, self.give_up))
