"""Where a forward goes (tas.calls.forward.plan_forward): back to the core as leg 3 with the
leg's number, or to a SIP URI; Session-ID / P-Asserted-Identity / Privacy copied."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tas.calls.forward import plan_forward
from tas.calls.records import CallRow
from tas.sip.message import Request
from tas.sip.parser import parse_message
from tas.sip.transaction_base import Peer
from tas.sip.uri import SipURI

INVITE = (
    b"INVITE sip:+0047999900@core.example SIP/2.0\r\n"
    b"Via: SIP/2.0/TLS core.example:5061;branch=z9hG4bK1\r\n"
    b"From: <sip:+4711112222@core.example>;tag=a\r\nTo: <sip:+0047999900@core.example>\r\n"
    b"Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nSession-ID: ab12\r\n"
    b"P-Asserted-Identity: <sip:+4711112222@core.example>\r\nContent-Length: 0\r\n\r\n"
)


def _request() -> Request:
    message = parse_message(INVITE)
    assert isinstance(message, Request)
    return message


def _call() -> Any:
    return SimpleNamespace(peer=Peer("TLS", "192.0.2.1", 40000))


def test_core_target_returns_the_number_to_the_sending_core() -> None:
    record = CallRow(sip_call_id="c1", direction="in", route="loop", callee="+47999900")
    plan = plan_forward(_call(), _request(), record, "core")
    assert isinstance(plan.uri, SipURI)
    assert (plan.uri.scheme, plan.uri.user, plan.uri.host) == ("sips", "+47999900", "core.example")
    assert plan.peer == _call().peer and plan.number == "+47999900"
    assert plan.headers == {
        "Session-ID": "ab12",
        "P-Asserted-Identity": "<sip:+4711112222@core.example>",
    }
    out = plan.out_record("b1", _request(), record)
    assert (out.direction, out.route, out.callee, out.action) == (
        "out",
        "loop",
        "+47999900",
        "forward",
    )


def test_uri_target_and_a_direct_leg_without_a_number() -> None:
    record = CallRow(sip_call_id="c1", direction="in", route="direct", callee="service")
    plan = plan_forward(_call(), _request(), record, "sip:bob@127.0.0.1:5080")
    assert plan.uri == "sip:bob@127.0.0.1:5080" and plan.number is None
    assert plan.peer is not None and plan.peer.port == 5080
    nowhere = plan_forward(_call(), _request(), record, "core")  # no number to send back
    assert nowhere.number is None
