"""RFC 3263 §4.3 failover of a forwarded call's outgoing leg (tas.calls.failover) between
in-memory endpoints on a virtual clock: caller A -> TAS -> first target, then the next."""

from __future__ import annotations

from tas.calls.b2bua import Bridge
from tas.calls.failover import Failover, forward_peers
from tas.calls.forward import ForwardPlan
from tas.calls.journal import CallJournal
from tas.calls.records import CallRow, Outcome
from tas.dns.resolver import SipResolver
from tas.dns.select import Query, Srv
from tas.sip.call import Call
from tas.sip.events import CallAnswered, CallFailed, IncomingCall
from tas.sip.transaction_base import Peer
from tas.sip.uri import SipURI, parse_uri
from tests.unit.sip.ua_net import Net

A = ("127.0.0.1", 5061)
TAS = ("127.0.0.1", 5070)
B1 = ("127.0.0.1", 5080)
B2 = ("127.0.0.1", 5090)
SILENT = ("127.0.0.1", 5099)  # nobody listens: Timer B, a synthesised 408
SDP = b"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
TARGET = "sip:+4790000001@voice.test"


def _plan() -> ForwardPlan:
    uri = parse_uri(TARGET)
    assert isinstance(uri, SipURI)
    return ForwardPlan(TARGET, None, {}, None, by_name=uri)


class World:
    def __init__(self, peers: list[tuple[str, int]]) -> None:
        self.net = Net()
        self.a, self.tas, self.b1, self.b2 = (self.net.add(x) for x in (A, TAS, B1, B2))
        self.peers = [Peer("UDP", *p) for p in peers]
        self.bridge: Bridge | None = None
        self.failover: Failover | None = None
        self.retired: list[CallJournal] = []
        self.done: list[Bridge] = []

    def journal(self, call: Call) -> CallJournal:
        return CallJournal(None, CallRow(sip_call_id=call.call_id, direction="out"))

    def run(self) -> None:
        self.net.pump()
        while events := self.net.take(TAS):
            for event in events:
                if isinstance(event, IncomingCall):
                    record = CallRow(sip_call_id=event.call.call_id, direction="in")
                    a_journal = CallJournal(None, record)
                    self.bridge = Bridge(
                        self.tas,
                        lambda: self.net.now,
                        event.call,
                        a_journal,
                        self.journal,
                        self.done.append,
                    )
                    self.failover = Failover(
                        self.bridge,
                        _plan(),
                        self.peers,
                        from_uri=str(event.request.from_.uri),
                        headers={},
                        retire=self.retired.append,
                    )
                    self.failover.start(self.net.now)
                elif self.bridge is not None:
                    self.bridge.on_event(event)
            self.net.pump()

    def call(self) -> Call:
        call = self.a.invite("sip:+4790000001@127.0.0.1:5070", 0.0, body=SDP)
        self.run()
        return call

    def incoming(self, addr: tuple[str, int]) -> Call:
        (event,) = [e for e in self.net.take(addr) if isinstance(e, IncomingCall)]
        return event.call


def _statuses(world: World) -> list[int]:
    return [e.response.status for e in world.net.take(A) if isinstance(e, CallFailed)]


async def test_a_503_moves_on_to_the_next_target() -> None:
    world = World([B1, B2])
    world.call()
    world.b1.reject(world.incoming(B1), 503, world.net.now)
    world.run()
    b2_call = world.incoming(B2)  # the INVITE went anew to the second target
    world.b2.answer(b2_call, SDP, world.net.now)
    world.run()
    assert any(isinstance(e, CallAnswered) for e in world.net.take(A))
    assert world.failover is not None and world.failover.tried == [
        Peer("UDP", *B1),
        Peer("UDP", *B2),
    ]
    (retired,) = world.retired
    assert (retired.record.outcome, retired.record.status) == (Outcome.FAILED.value, 503)
    assert world.bridge is not None and world.bridge.b_journal is not retired


async def test_a_timeout_moves_on_and_the_last_failure_is_relayed() -> None:
    world = World([SILENT, B1])
    world.call()
    world.net.advance(40.0)  # Timer B (64*T1) on the silent target: 408
    world.run()
    world.b1.reject(world.incoming(B1), 503, world.net.now)
    world.run()
    assert _statuses(world) == [503]  # no target left: the caller gets the failure
    assert [j.record.status for j in world.retired] == [408]


async def test_other_failures_are_relayed_at_once() -> None:
    world = World([B1, B2])
    world.call()
    world.b1.reject(world.incoming(B1), 486, world.net.now)
    world.run()
    assert _statuses(world) == [486]
    assert world.net.take(B2) == [] and world.retired == []


async def test_no_retry_once_the_caller_gave_up() -> None:
    world = World([B1, B2])
    a_call = world.call()
    b1_call = world.incoming(B1)
    world.b1.ring(b1_call, world.net.now)
    world.run()
    world.a.cancel(a_call, world.net.now)
    world.run()
    assert not [e for e in world.net.take(B2) if isinstance(e, IncomingCall)]
    assert world.retired == []


async def test_forward_peers_numeric_plans_ask_no_dns() -> None:
    resolver = SipResolver(["127.0.0.1:9"])  # would fail if asked
    peer = Peer("UDP", "192.0.2.5", 5060)
    assert await forward_peers(ForwardPlan("sip:b@192.0.2.5", peer, {}, None), resolver) == [peer]
    assert await forward_peers(ForwardPlan("bad", None, {}, None), resolver) == []
    assert resolver.queries_sent == 0


async def test_forward_peers_by_name_are_the_rfc3263_targets() -> None:
    resolver = SipResolver(["127.0.0.1:9"], clock=lambda: 0.0)
    answers = {
        Query("voice.test", "NAPTR"): (),
        Query("_sip._udp.voice.test", "SRV"): (
            Srv(10, 0, 5080, "b1.voice.test"),
            Srv(20, 0, 5090, "b2.voice.test"),
        ),
        Query("_sip._tcp.voice.test", "SRV"): (),
        Query("_sips._tcp.voice.test", "SRV"): (),
        Query("b1.voice.test", "A"): ("127.0.0.1",),
        Query("b2.voice.test", "A"): ("127.0.0.2",),
    }
    for query, answer in answers.items():
        resolver.cache.put(query, answer, 60, 0.0)
    peers = await forward_peers(_plan(), resolver)
    assert peers == [Peer("UDP", "127.0.0.1", 5080), Peer("UDP", "127.0.0.2", 5090)]
    assert resolver.queries_sent == 0  # all from the cache
