"""The Privacy header (RFC 3323 §4.2) and whether a caller is hidden."""

from __future__ import annotations

import pytest

from tas.sip.errors import ParseError
from tas.sip.message import Request
from tas.sip.parser import parse_message
from tas.sip.privacy import caller_hidden, parse_privacy


def invite(*extra: str, from_user: str = "+4799990002") -> Request:
    lines = [
        "INVITE sip:+4799990001@tas SIP/2.0",
        "Via: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK1",
        f"From: <sip:{from_user}@core>;tag=1",
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


def test_parse_values() -> None:
    assert parse_privacy("id") == {"id"}
    assert parse_privacy("header; ID ;critical") == {"header", "id", "critical"}
    with pytest.raises(ParseError):
        parse_privacy("id;;user")


@pytest.mark.parametrize(
    ("headers", "from_user", "hidden"),
    [
        ((), "+4799990002", False),
        (("Privacy: none",), "+4799990002", False),
        (("Privacy: session",), "+4799990002", False),
        (("Privacy: id",), "+4799990002", True),
        (("Privacy: header;critical",), "+4799990002", True),
        (("Privacy: user",), "+4799990002", True),
        (("Privacy: ??",), "+4799990002", True),  # cannot tell what it asked: hide
        ((), "Anonymous", True),  # RFC 3323 §4.1.1.3
    ],
)
def test_caller_hidden(headers: tuple[str, ...], from_user: str, hidden: bool) -> None:
    assert caller_hidden(invite(*headers, from_user=from_user)) is hidden
