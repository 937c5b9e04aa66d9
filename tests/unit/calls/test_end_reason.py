"""Reason (RFC 3326) read from a CANCEL/BYE for the call record, and sent on our failures."""

from __future__ import annotations

from tas.calls.end_reason import describe, failure_reason, reasons_of
from tas.sip.message import Request
from tas.sip.parser import parse_message
from tas.sip.reason import parse_reason


def cancel(*extra: str) -> Request:
    lines = [
        "CANCEL sips:+4799990001@tas SIP/2.0",
        "Via: SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK1",
        "From: <sip:+4799990002@core>;tag=1",
        "To: <sip:+4799990001@core>",
        "Call-ID: c1",
        "CSeq: 1 CANCEL",
        "Max-Forwards: 70",
        *extra,
        "Content-Length: 0",
        "",
        "",
    ]
    message = parse_message("\r\n".join(lines).encode())
    assert isinstance(message, Request)
    return message


def test_answered_elsewhere_is_read() -> None:
    reasons = reasons_of(cancel('Reason: SIP;cause=200;text="Call completed elsewhere"'))
    assert [r.answered_elsewhere for r in reasons] == [True]
    assert describe(reasons) == ' (Reason: SIP;cause=200;text="Call completed elsewhere")'


def test_malformed_reasons_are_skipped_not_fatal() -> None:
    reasons = reasons_of(cancel("Reason: SIP;cause=oops", "Reason: Q.850;cause=16"))
    assert [(r.protocol, r.cause) for r in reasons] == [("Q.850", 16)]
    assert reasons_of(cancel()) == [] and reasons_of(None) == [] and describe([]) == ""


def test_failure_reason_only_for_server_failures() -> None:
    sent = failure_reason(500)
    assert sent is not None
    (value,) = parse_reason(sent)
    assert (value.protocol, value.cause) == ("Q.850", 41)
    assert failure_reason(503) == sent
    assert failure_reason(480) is None and failure_reason(200) is None
