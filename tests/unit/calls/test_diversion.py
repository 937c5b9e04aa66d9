"""The voicemail greeting reason and the Session-ID read from a diverted INVITE."""

from __future__ import annotations

import pytest

from tas.calls.diversion import session_id_of, voicemail_reason
from tas.sip.message import Request
from tas.sip.parser import parse_message
from tas.voicemail import Reason


def invite(uri: str = "sips:+4799990001@tas.example", *extra: str) -> Request:
    lines = [
        f"INVITE {uri} SIP/2.0",
        "Via: SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK1",
        "From: <sip:+4799990002@core>;tag=1",
        "To: <sip:+4799990001@core>",
        "Call-ID: c1",
        "CSeq: 1 INVITE",
        "Max-Forwards: 70",
        *extra,
        "Content-Length: 0",
        "",
        "",
    ]
    message = parse_message("\r\n".join(lines).encode())
    assert isinstance(message, Request)
    return message


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ((), Reason.DEFAULT),
        (("Diversion: <sip:+4799990001@core>;reason=user-busy;counter=1",), Reason.BUSY),
        (("Diversion: <sip:+4799990001@core>;reason=no-answer;counter=1",), Reason.UNAVAILABLE),
        (('Diversion: <sip:+1@core>;reason="unavailable"',), Reason.UNAVAILABLE),
        (("Diversion: <sip:+1@core>;reason=unconditional",), Reason.DEFAULT),
        (("History-Info: <sip:+1@core;cause=486>;index=1",), Reason.BUSY),
        (
            (
                "History-Info: <sip:+1@core;cause=486>;index=1",
                "History-Info: <sip:+1@vm;cause=408>;index=1.1",
            ),
            Reason.UNAVAILABLE,  # the last diversion counts
        ),
        (('Reason: SIP;cause=600;text="Busy Everywhere"',), Reason.BUSY),
    ],
)
def test_reason_from_headers(headers: tuple[str, ...], expected: Reason) -> None:
    assert voicemail_reason(invite("sips:+4799990001@tas.example", *headers)) is expected


@pytest.mark.parametrize(
    ("cause", "expected"),
    [("486", Reason.BUSY), ("408", Reason.UNAVAILABLE), ("480", Reason.UNAVAILABLE)],
)
def test_rfc4458_cause_in_the_request_uri_wins(cause: str, expected: Reason) -> None:
    busy = "Diversion: <sip:+1@core>;reason=user-busy"
    found = voicemail_reason(invite(f"sips:+4799990001@tas.example;cause={cause}", busy))
    assert found is expected


def test_session_id_local_uuid() -> None:
    value = "AB0123456789abcdef0123456789abcd;remote=00000000000000000000000000000000"
    assert session_id_of(invite("sips:+1@t", f"Session-ID: {value}")) == value[:32].lower()
    assert session_id_of(invite()) is None
