"""The voicemail greeting reason and the Session-ID read from a diverted INVITE."""

from __future__ import annotations

import pytest

from tas.calls.diversion import DiversionSource, session_id_of, voicemail_reason, why_diverted
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
        (("Diversion: <sip:+4799990001@core>;reason=no-answer;counter=1",), Reason.NO_ANSWER),
        (('Diversion: <sip:+1@core>;reason="unavailable"',), Reason.UNAVAILABLE),
        (("Diversion: <sip:+1@core>;reason=unconditional",), Reason.UNCONDITIONAL),
        (("Diversion: <sip:+1@core>;reason=follow-me",), Reason.DEFAULT),
        (("History-Info: <sip:+1@core;cause=486>;index=1",), Reason.BUSY),
        (
            (
                "History-Info: <sip:+1@core;cause=486>;index=1",
                "History-Info: <sip:+1@vm;cause=408>;index=1.1",
            ),
            Reason.NO_ANSWER,  # the last diversion counts
        ),
        (('Reason: SIP;cause=600;text="Busy Everywhere"',), Reason.BUSY),
    ],
)
def test_reason_from_headers(headers: tuple[str, ...], expected: Reason) -> None:
    assert voicemail_reason(invite("sips:+4799990001@tas.example", *headers)) is expected


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        ("486", Reason.BUSY),
        ("408", Reason.NO_ANSWER),
        ("480", Reason.UNAVAILABLE),
        ("302", Reason.UNCONDITIONAL),
    ],
)
def test_rfc4458_cause_in_the_request_uri_wins(cause: str, expected: Reason) -> None:
    busy = "Diversion: <sip:+1@core>;reason=user-busy"
    found = voicemail_reason(invite(f"sips:+4799990001@tas.example;cause={cause}", busy))
    assert found is expected


def test_session_id_local_uuid() -> None:
    value = "AB0123456789abcdef0123456789abcd;remote=00000000000000000000000000000000"
    assert session_id_of(invite("sips:+1@t", f"Session-ID: {value}")) == value[:32].lower()
    assert session_id_of(invite()) is None


def test_history_info_only_names_reason_and_diverted_from_user() -> None:
    """RFC 7044 §9 / RFC 4458 §3.5: the entry with the cause is the voicemail target; its
    parent (``mp``) is the user the call was diverted from."""
    found = why_diverted(
        invite(
            "sip:voicemail@tas.example",
            "History-Info: <sip:+4799990001@core>;index=1, <sip:+4799990003@core>;index=1.1;rc=1",
            "History-Info: <sip:voicemail@tas.example;cause=486>;index=1.2;mp=1",
        )
    )
    assert found.reason is Reason.BUSY
    assert found.source is DiversionSource.HISTORY_INFO
    assert found.diverted_from == "+4799990001"  # the mp parent, not the entry just before


def test_history_info_parent_by_index_and_escaped_reason() -> None:
    found = why_diverted(
        invite(
            "sips:+4799990001@tas.example",
            "History-Info: <sip:+4799990001@core>;index=1,"
            " <sip:+4799990009@vm?Reason=SIP%3Bcause%3D408>;index=1.1",
        )
    )
    assert (found.reason, found.diverted_from) == (Reason.NO_ANSWER, "+4799990001")


def test_rfc4458_target_and_cause_on_the_request_uri() -> None:
    uri = "sip:voicemail@tas.example;target=sip:%2B4799990001%40core;cause=302"
    found = why_diverted(invite(uri))
    assert (found.reason, found.source, found.diverted_from) == (
        Reason.UNCONDITIONAL,
        DiversionSource.REQUEST_URI,
        "+4799990001",
    )


def test_precedence_request_uri_then_history_info_then_diversion() -> None:
    diversion = "Diversion: <sip:+4799990005@core>;reason=user-busy;counter=1"
    history = "History-Info: <sip:+4799990006@core>;index=1, <sip:vm@t;cause=408>;index=1.1"
    both = why_diverted(invite("sips:+4799990001@t", diversion, history))
    assert (both.reason, both.source) == (Reason.NO_ANSWER, DiversionSource.HISTORY_INFO)
    assert both.diverted_from == "+4799990006"
    only_diversion = why_diverted(invite("sips:+4799990001@t", diversion))
    assert (only_diversion.reason, only_diversion.diverted_from) == (Reason.BUSY, "+4799990005")
    uri = why_diverted(invite("sips:+4799990001@t;cause=480", diversion, history))
    assert (uri.reason, uri.source) == (Reason.UNAVAILABLE, DiversionSource.REQUEST_URI)
    assert uri.diverted_from == "+4799990006"  # no target: the next source names the user


def test_malformed_history_info_is_skipped_for_the_next_source() -> None:
    found = why_diverted(
        invite(
            "sips:+4799990001@t",
            "History-Info: sip:+1@core;cause=486",  # addr-spec, no index: not RFC 7044
            "Diversion: <sip:+4799990001@core>;reason=no-answer",
        )
    )
    assert (found.reason, found.source) == (Reason.NO_ANSWER, DiversionSource.DIVERSION)
