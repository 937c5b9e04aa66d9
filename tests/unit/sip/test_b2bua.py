"""tas.sip.b2bua.ReinviteRelay between in-memory endpoints: A -> M (the relay) -> B (§14), and
an UPDATE across the early dialogs of a B2bua (RFC 3311 §5.1)."""

from __future__ import annotations

from tas.sip.b2bua import B2bua, ReinviteRelay
from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.events import IncomingCall, ReInvite, ReInviteResult
from tas.sip.listener import deliver
from tas.sip.message import Response
from tas.sip.parser import parse_message
from tests.unit.sip.ua_net import Net

A, M, B = ("127.0.0.1", 5061), ("127.0.0.1", 5070), ("127.0.0.1", 5080)
SDP = b"v=0\r\no=%s 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


def connect(net: Net, caller: Endpoint, callee_addr: tuple[str, int]) -> tuple[Call, Call]:
    """A confirmed call from ``caller`` to the endpoint at ``callee_addr``: (uac, uas)."""
    uac = caller.invite(f"sip:x@{callee_addr[0]}:{callee_addr[1]}", net.now, body=SDP % b"o")
    net.pump()
    incoming = [e for e in net.take(callee_addr) if isinstance(e, IncomingCall)]
    uas = incoming[0].call
    net.endpoints[callee_addr].answer(uas, SDP % b"a", net.now)
    net.pump()
    assert uac.state == "confirmed" and uas.state == "confirmed"
    return uac, uas


class World:
    def __init__(self) -> None:
        self.net = Net()
        self.a, self.m, self.b = (self.net.add(addr) for addr in (A, M, B))
        self.a_call, self.m_in = connect(self.net, self.a, M)
        self.m_out, self.b_call = connect(self.net, self.m, B)
        for addr in (A, M, B):
            self.net.take(addr)
        self.net.wire.clear()
        self.relay = ReinviteRelay(self.m)

    def run_m(self) -> None:
        """Pump, feeding M's re-INVITE events to the relay, until quiet."""
        self.net.pump()
        while events := self.net.take(M):
            for event in events:
                if isinstance(event, ReInvite):
                    other = self.m_out if event.call is self.m_in else self.m_in
                    self.relay.relay(event.call, other, event.request, self.net.now)
                elif isinstance(event, ReInviteResult):
                    self.relay.result(event.call, event.response, self.net.now)
            self.net.pump()


def results(net: Net, addr: tuple[str, int]) -> list[int]:
    return [e.response.status for e in net.take(addr) if isinstance(e, ReInviteResult)]


def test_the_offer_goes_across_and_the_answer_comes_back() -> None:
    w = World()
    w.a.reinvite(w.a_call, SDP % b"hold", w.net.now)
    w.run_m()
    (offer,) = [e for e in w.net.take(B) if isinstance(e, ReInvite)]
    assert offer.request.body == SDP % b"hold"  # relayed unchanged
    w.b.answer_reinvite(w.b_call, SDP % b"held", w.net.now)
    w.run_m()
    got = [e for e in w.net.take(A) if isinstance(e, ReInviteResult)]
    assert [e.response.status for e in got] == [200]
    assert got[0].response.body == SDP % b"held"


def test_an_update_goes_on_as_update_where_the_peer_allows_it() -> None:
    """RFC 3311 §5.1: the other leg's peer listed UPDATE in its Allow, so A's UPDATE offer
    reaches B as UPDATE (no re-INVITE, no ACK), and B's answer comes back in A's 200."""
    w = World()
    assert "UPDATE" in w.m_out.peer_allow
    w.a.update(w.a_call, SDP % b"upd", w.net.now)
    w.run_m()
    (offer,) = [e for e in w.net.take(B) if isinstance(e, ReInvite)]
    assert offer.request.method == "UPDATE" and offer.request.body == SDP % b"upd"
    w.b.answer_reinvite(w.b_call, SDP % b"ok", w.net.now)
    w.run_m()
    got = [e for e in w.net.take(A) if isinstance(e, ReInviteResult)]
    assert [e.response.status for e in got] == [200] and got[0].response.body == SDP % b"ok"
    assert not [d for _, s, _, d in w.net.wire if s == M and d.startswith(b"INVITE")]


def test_a_refusal_is_relayed_with_its_status() -> None:
    w = World()
    w.a.reinvite(w.a_call, SDP % b"video", w.net.now)
    w.run_m()
    w.b.reject_reinvite(w.b_call, 488, w.net.now)
    w.run_m()
    assert results(w.net, A) == [488]


def test_glare_on_the_other_leg_is_491() -> None:
    w = World()
    w.b.reinvite(w.b_call, SDP % b"b", w.net.now)  # B's own re-INVITE is on its way to M
    w.m.reinvite(w.m_out, SDP % b"m", w.net.now)  # and M has one outstanding towards B
    w.a.reinvite(w.a_call, SDP % b"a", w.net.now)
    w.run_m()
    assert sent_by_m(w.net, A) == [491]  # A sends it again later (RFC 3261 §14.1)


def sent_by_m(net: Net, dest: tuple[str, int]) -> list[int]:
    """Statuses of the re-INVITE responses M sent to ``dest``."""
    wire = [parse_message(d) for _, s, to, d in net.wire if s == M and to == dest]
    return [m.status for m in wire if isinstance(m, Response) and m.cseq.method == "INVITE"]


def test_no_partner_is_491() -> None:
    w = World()
    w.a.reinvite(w.a_call, SDP % b"a", w.net.now)
    w.net.pump()
    (event,) = [e for e in w.net.take(M) if isinstance(e, ReInvite)]
    w.relay.relay(event.call, None, event.request, w.net.now)
    w.net.pump()
    assert sent_by_m(w.net, A) == [491]


def test_a_result_nobody_waits_for_is_ignored() -> None:
    w = World()
    w.m.reinvite(w.m_out, SDP % b"m", w.net.now)  # M's own re-INVITE, not a relayed one
    w.net.pump()
    w.b.answer_reinvite(w.b_call, SDP % b"b", w.net.now)
    w.net.pump()
    (result,) = [e for e in w.net.take(M) if isinstance(e, ReInviteResult)]
    w.relay.result(result.call, result.response, w.net.now)
    w.net.pump()
    assert results(w.net, A) == []
    assert w.net.sent(b"SIP/2.0", M) == []  # M answered nothing towards A


def test_an_early_update_goes_across_the_early_dialogs_as_update() -> None:
    """RFC 3311 §5.1 through a B2bua before the answer: B's reliable 183 (SDP) is relayed to
    A, then B's UPDATE with a new offer is offered to A as UPDATE in A's early dialog, and
    A's answer comes back to B; both legs stay early, then B answers."""
    net = Net()
    a, m, b = (net.add(addr) for addr in (A, M, B))
    a_call = a.invite("sip:x@127.0.0.1:5070", net.now, body=SDP % b"o")
    net.pump()
    (incoming,) = [e for e in net.take(M) if isinstance(e, IncomingCall)]
    bridge = B2bua(m, lambda: net.now, incoming.call)
    bridge.add(m.invite("sip:x@127.0.0.1:5080", net.now, body=incoming.request.body))

    def run() -> None:
        net.pump()
        while events := net.take(M):
            for event in events:
                deliver(event, lambda e: None)
            net.pump()

    run()
    (at_b,) = [e for e in net.take(B) if isinstance(e, IncomingCall)]
    b.ring(at_b.call, net.now, 183, SDP % b"b")
    run()
    assert a_call.state == "early" and a_call.remote_sdp == SDP % b"b"  # relayed, PRACKed
    b.update(at_b.call, SDP % b"b2", net.now)
    run()
    (offer,) = [e for e in net.take(A) if isinstance(e, ReInvite)]
    assert offer.request.method == "UPDATE" and offer.request.body == SDP % b"b2"
    a.answer_reinvite(a_call, SDP % b"o2", net.now)
    run()
    (result,) = [e for e in net.take(B) if isinstance(e, ReInviteResult)]
    assert result.response.status == 200 and result.response.body == SDP % b"o2"
    assert a_call.state == at_b.call.state == "early"
    b.answer(at_b.call, SDP % b"b2", net.now)
    run()
    assert a_call.state == "confirmed" and bridge.winner is not None
