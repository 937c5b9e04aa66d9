"""SIPS Contact in requests and responses (RFC 3261 §8.1.1.8, §12.1.1)."""

from __future__ import annotations

from tas.sip.dialog import requires_sips
from tas.sip.events import IncomingCall
from tests.unit.sip.sip_helpers import SDP, request
from tests.unit.sip.ua_net import ALICE, BOB, Net


def _contacts(net: Net, start: bytes) -> list[str]:
    out = []
    for _, _, _, data in net.wire:
        if data.startswith(start):
            line = next(x for x in data.split(b"\r\n") if x.lower().startswith(b"contact:"))
            out.append(line.decode().split(":", 1)[1].strip())
    return out


def _call(uri: str) -> Net:
    net = Net("TLS")
    alice, bob = net.add(ALICE), net.add(BOB)
    alice.invite(uri, 0.0, body=SDP)
    net.pump()
    event = net.take(BOB)[0]
    assert isinstance(event, IncomingCall)
    bob.ring(event.call, net.now)
    bob.answer(event.call, SDP, net.now)
    net.pump()
    return net


def test_sips_request_uri_gets_sips_contact_both_ways() -> None:
    net = _call("sips:bob@127.0.0.1:5060")
    assert _contacts(net, b"INVITE ") == ["<sips:tas@127.0.0.1:5061>"]
    assert _contacts(net, b"SIP/2.0 180") == ["<sips:tas@127.0.0.1:5060>"]
    assert _contacts(net, b"SIP/2.0 200") == ["<sips:tas@127.0.0.1:5060>"]


def test_sip_request_uri_over_tls_keeps_a_sip_contact() -> None:
    net = _call("sip:bob@127.0.0.1:5060;transport=tls")
    assert _contacts(net, b"SIP/2.0 200") == ["<sip:tas@127.0.0.1:5060;transport=tls>"]


def test_requires_sips_follows_record_route_then_contact() -> None:
    assert not requires_sips(request())
    assert requires_sips(request(extra="Record-Route: <sips:proxy.example.com;lr>\r\n"))
    assert not requires_sips(request(extra="Record-Route: <sip:proxy.example.com;lr>\r\n"))


def test_unknown_sip_version_is_answered_505_to_its_source() -> None:
    """RFC 4475 §3.3.15 (badvers): the Via says SIP/7.0 too, so the source gets the 505."""
    from pathlib import Path

    from tas.sip.endpoint import Endpoint, EndpointConfig
    from tas.sip.transaction_base import Peer

    data = (Path(__file__).parents[2] / "vectors/rfc4475/invalid/badvers.dat").read_bytes()
    ep = Endpoint(EndpointConfig(local={"UDP": BOB}))
    source = Peer("UDP", "192.0.2.9", 40123)
    ep.receive(data, source, 0.0)
    [(out, peer)] = ep.take_outbox()
    assert out.startswith(b"SIP/2.0 505 ") and peer == source
    assert b"Via: SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw" in out
