"""The call application's trust gate (issue #10): one answer for every untrusted INVITE."""

from __future__ import annotations

from tas.calls.gate import TrustGate
from tas.sip.endpoint import Endpoint, EndpointConfig
from tas.sip.events import IncomingCall, RequestReceived
from tas.sip.transaction_base import Peer
from tas.transport.trust import Trust, TrustPolicy
from tests.unit.sip.sip_helpers import SDP

CORE = Peer("UDP", "192.0.2.1", 5060)
ATTACKER = Peer("UDP", "198.51.100.7", 5060)


def message(method: str, user: str, n: int, source: Peer) -> bytes:
    body = SDP if method == "INVITE" else b""
    return (
        f"{method} sip:{user}@192.0.2.20 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {source.host}:{source.port};branch=z9hG4bK-g{n}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:+4799990002@{source.host}>;tag=f{n}\r\n"
        f"To: <sip:{user}@192.0.2.20>\r\nCall-ID: gate-{n}\r\nCSeq: 1 {method}\r\n"
        f"Contact: <sip:c@{source.host}:{source.port}>\r\n"
        + ("Content-Type: application/sdp\r\n" if body else "")
        + f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def gate() -> TrustGate:
    policy = TrustPolicy.from_texts(["192.0.2.0/24"])
    return TrustGate(lambda peer: policy.classify(peer.host))


def test_only_core_sources_are_admitted() -> None:
    g = gate()
    assert g.admits(CORE) and not g.admits(ATTACKER)
    ua = TrustGate(lambda peer: Trust.UA)
    assert not ua.admits(CORE)  # an authenticated UA of ours is no breakout leg


def test_refusal_is_one_answer_whatever_the_number() -> None:
    ep = Endpoint(EndpointConfig(local={"UDP": ("192.0.2.20", 5060)}))
    g = gate()
    heads = set()
    for n, user in enumerate(("+4799990001", "+4799990077", "alice")):
        ep.receive(message("INVITE", user, n, ATTACKER), ATTACKER, 0.0)
        (event,) = ep.take_events()
        assert isinstance(event, IncomingCall)
        g.refuse_call(ep, event.call, 0.0)
        ((wire, peer),) = ep.take_outbox()
        assert peer.host == ATTACKER.host
        first, *rest = wire.split(b"\r\n\r\n")[0].split(b"\r\n")
        heads.add((first, tuple(line.split(b":")[0] for line in rest)))
    assert heads == {
        (b"SIP/2.0 403 Forbidden", (b"Via", b"From", b"To", b"Call-ID", b"CSeq", b"Content-Length"))
    }
    assert g.refused == 3 and ep.calls == {}


def test_out_of_dialog_requests_get_the_same_status() -> None:
    ep = Endpoint(EndpointConfig(local={"UDP": ("192.0.2.20", 5060)}))
    g = TrustGate(lambda peer: Trust.UNTRUSTED, status=404, reason="Not Found")
    ep.receive(message("MESSAGE", "+4799990001", 9, ATTACKER), ATTACKER, 0.0)
    (event,) = ep.take_events()
    assert isinstance(event, RequestReceived)
    g.refuse_request(ep, event, 0.0)
    ((wire, _),) = ep.take_outbox()
    assert wire.startswith(b"SIP/2.0 404 Not Found\r\n")
