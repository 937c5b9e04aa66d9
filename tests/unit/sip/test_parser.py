"""Datagram parser (RFC 3261 §7, §25): start lines, folding, limits, bodies, partial messages."""

from __future__ import annotations

import pytest

from tas.sip.errors import ParseError
from tas.sip.message import Request, Response
from tas.sip.parser import Limits, parse_message, split_head

HEAD = (
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    "From: <sip:alice@example.com>;tag=1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Max-Forwards: 70\r\n"
)


def msg(extra: str = "", body: bytes = b"", length: bool = True, head: str = HEAD) -> bytes:
    cl = f"Content-Length: {len(body)}\r\n" if length else ""
    return (head + extra + cl + "\r\n").encode() + body


def test_minimal_request() -> None:
    request = parse_message(msg())
    assert isinstance(request, Request) and request.method == "OPTIONS" and request.body == b""


def test_folded_lines_and_bare_lf() -> None:
    folded = msg("Subject: first\r\n  second\r\n\tthird\r\n")
    assert parse_message(folded).headers.get("Subject") == "first second third"
    lf = msg().replace(b"\r\n", b"\n")
    assert isinstance(parse_message(lf), Request)


def test_leading_crlf_is_ignored_and_trailing_bytes_dropped() -> None:
    request = parse_message(b"\r\n\r\n" + msg(body=b"abc") + b"garbage")
    assert request.body == b"abc"


def test_body_without_content_length_runs_to_the_end_of_a_datagram() -> None:
    message = parse_message(msg(length=False) + b"xyz")
    assert message.body == b"xyz"


def test_no_blank_line_at_the_end_of_a_datagram_head() -> None:
    data = msg()[:-2]
    assert isinstance(parse_message(data), Request)
    with pytest.raises(ParseError, match="no empty line"):
        parse_message(data[:-2])


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"INVITE sip:a@b SIP/3.0\r\n\r\n", 505),
        (b"SIP/3.0 200 OK\r\n\r\n", 505),
        (b"INVITE sip:a@b\r\n\r\n", 400),
        (b"INV(TE sip:a@b SIP/2.0\r\n\r\n", 400),
        (b"INVITE <sip:a@b> SIP/2.0\r\n\r\n", 400),
        (b"SIP/2.0 99 Low\r\n\r\n", 400),
        (b"SIP/2.0 700 High\r\n\r\n", 400),
        (b"SIP/2.0 2000 OK\r\n\r\n", 400),
        (b" INVITE sip:a@b SIP/2.0\r\n\r\n", 400),
        (b"\xff\xfe\r\n\r\n", 400),
        (b"", 400),
    ],
)
def test_bad_start_lines(data: bytes, status: int) -> None:
    with pytest.raises(ParseError) as info:
        parse_message(data)
    assert info.value.status_hint == status
    # a request in another version keeps its head, so the 505 can be answered (RFC 4475 §3.3.15)
    assert (info.value.partial is not None) == data.startswith(b"INVITE sip:a@b SIP/3")


@pytest.mark.parametrize(
    "extra",
    [
        "Bad Header\r\n",
        ": novalue\r\n",
        "Bad[Name]: x\r\n",
        "Call-ID: again\r\n",
        "Max-Forwards: 256\r\n",
        "Expires: soon\r\n",
        "Contact: <sip:a@b>;expires=x\r\n",
    ],
)
def test_bad_headers(extra: str) -> None:
    with pytest.raises(ParseError):
        parse_message(msg(extra))


def test_semantic_errors_carry_the_partial_message() -> None:
    with pytest.raises(ParseError) as info:
        parse_message(msg().replace(b"CSeq: 1 OPTIONS", b"CSeq: 1 INVITE"))
    partial = info.value.partial
    assert isinstance(partial, Request) and partial.call_id == "c1"
    with pytest.raises(ParseError) as info:
        parse_message(msg().replace(b"Content-Length: 0", b"Content-Length: 10"))
    assert info.value.partial is not None


def test_cseq_must_be_below_2_31_in_requests() -> None:
    with pytest.raises(ParseError):
        parse_message(msg().replace(b"CSeq: 1 ", b"CSeq: 2147483648 "))


def test_response_checks() -> None:
    head = (
        "SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n"
    )
    response = parse_message(msg("Retry-After: 120 (lunch);duration=60\r\n", head=head))
    assert isinstance(response, Response) and response.status == 503
    with pytest.raises(ParseError):
        parse_message(msg("Retry-After: 2**40\r\n", head=head))
    with pytest.raises(ParseError):
        parse_message(msg('Warning: 30 x "y"\r\n', head=head))


def test_limits() -> None:
    with pytest.raises(ParseError) as info:
        parse_message(msg(body=b"x" * 200), Limits(max_message=100))
    assert info.value.status_hint == 513
    with pytest.raises(ParseError, match="longer than"):
        parse_message(msg("Subject: " + "a" * 200 + "\r\n"), Limits(max_line=100))
    with pytest.raises(ParseError, match="header fields"):
        parse_message(msg("X-A: 1\r\n" * 20), Limits(max_headers=10))


def test_split_head() -> None:
    assert split_head(b"A\r\nB\r\n\r\nbody") == (b"A\r\nB", 8)
    assert split_head(b"A\nB\n\nbody") == (b"A\nB", 5)
    assert split_head(b"A\r\nB\r\n") is None
