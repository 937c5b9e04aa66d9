"""Stream framing for TCP/TLS (RFC 3261 §18.3, RFC 5626 keep-alives)."""

from __future__ import annotations

import pytest

from tas.sip.errors import FramingError, ParseError
from tas.sip.framing import PONG, KeepAlive, Refused, StreamFramer, StreamItem
from tas.sip.message import Request, Response
from tas.sip.parser import Limits
from tas.sip.validate import error_response

SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


def request(method: str = "OPTIONS", body: bytes = b"", cseq: int = 1, extra: bytes = b"") -> bytes:
    return (
        (
            f"{method} sip:bob@example.com SIP/2.0\r\n"
            "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK" + f"{cseq:06d}\r\n"
            "From: <sip:alice@example.com>;tag=1\r\n"
            "To: <sip:bob@example.com>\r\n"
            f"Call-ID: c{cseq}@192.0.2.1\r\n"
            f"CSeq: {cseq} {method}\r\n"
            "Max-Forwards: 70\r\n"
        ).encode()
        + extra
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


RESPONSE = (
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKx\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:b@c>;tag=2\r\nCall-ID: r@x\r\nCSeq: 1 INVITE\r\n"
    b"l: 0\r\n\r\n"
)


def drain(framer: StreamFramer, data: bytes, chunk: int) -> list[StreamItem]:
    items: list[StreamItem] = []
    for i in range(0, len(data), chunk):
        framer.feed(data[i : i + chunk])
        items.extend(framer)
    return items


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 100_000])
def test_pipelined_messages_any_chunking(chunk: int) -> None:
    stream = (
        request("INVITE", SDP, 1, b"Content-Type: application/sdp\r\n")
        + b"\r\n\r\n"  # a keep-alive ping between messages
        + RESPONSE
        + b"\r\n"  # a lone CRLF (pong / padding) is skipped
        + request("BYE", cseq=2)
    )
    framer = StreamFramer()
    items = drain(framer, stream, chunk)
    assert [type(i) for i in items] == [Request, KeepAlive, Response, Request]
    invite, _, ok, bye = items
    assert isinstance(invite, Request) and invite.method == "INVITE" and invite.body == SDP
    assert isinstance(ok, Response) and ok.status == 200
    assert isinstance(bye, Request) and bye.method == "BYE" and bye.cseq.seq == 2
    assert framer.buffered == 0 and framer.failed is None


def test_body_waits_for_content_length_bytes() -> None:
    data = request("INVITE", SDP, 1, b"Content-Type: application/sdp\r\n")
    framer = StreamFramer()
    framer.feed(data[:-1])
    assert list(framer) == []
    framer.feed(data[-1:])
    (item,) = list(framer)
    assert isinstance(item, Request) and item.body == SDP


def test_keepalive_ping_alone() -> None:
    framer = StreamFramer()
    items = drain(framer, b"\r\n\r\n\r\n\r\n", 1)
    assert items == [KeepAlive(), KeepAlive()]
    assert PONG == b"\r\n"


def test_bad_message_with_good_framing_is_recoverable() -> None:
    bad = request(extra=b"Max-Forwards: 70\r\n")  # two Max-Forwards: parse error, framing fine
    framer = StreamFramer()
    items = drain(framer, bad + request(cseq=2), 5)
    assert len(items) == 2
    error, good = items
    assert isinstance(error, ParseError) and not isinstance(error, FramingError)
    assert error.status_hint == 400
    response = error_response(error.partial, error)
    assert response is not None and response.status == 400
    assert isinstance(good, Request) and good.cseq.seq == 2


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (b"", "no Content-Length"),
        (b"Content-Length: -999\r\n", "bad Content-Length"),  # RFC 4475 §3.1.2.3
        (b"Content-Length: 3\r\nContent-Length: 5\r\n", "conflicting"),  # RFC 4475 §3.3.9
        (b"Content-Length: ten\r\n", "bad Content-Length"),
    ],
)
def test_unframeable_stream_is_fatal(header: bytes, reason: str) -> None:
    head = request().split(b"Content-Length")[0]
    framer = StreamFramer()
    framer.feed(head + header + b"\r\n" + request(cseq=2))
    items = list(framer)
    assert len(items) == 1
    (error,) = items
    assert isinstance(error, FramingError) and reason in str(error)
    assert error.partial is not None  # the head parsed: a 400 can go out before closing
    response = error_response(error.partial, error)
    assert response is not None and response.status == 400
    assert framer.failed is error
    framer.feed(request(cseq=3))
    assert list(framer) == [] and framer.buffered == 0


def test_head_that_never_ends_is_fatal() -> None:
    framer = StreamFramer(Limits(max_message=1000))
    framer.feed(b"OPTIONS sip:a@b SIP/2.0\r\n")
    assert list(framer) == []
    for _ in range(100):
        framer.feed(b"X-Junk: " + b"a" * 20 + b"\r\n")
    (error,) = list(framer)
    assert isinstance(error, FramingError) and error.status_hint == 513
    assert error.partial is None


def test_oversized_content_length_is_fatal() -> None:
    framer = StreamFramer(Limits(max_message=2000))
    framer.feed(request().replace(b"Content-Length: 0", b"Content-Length: 5000"))
    (error,) = list(framer)
    assert isinstance(error, FramingError) and error.status_hint == 513


def test_garbage_head_with_length_yields_parse_error_then_continues() -> None:
    framer = StreamFramer()
    framer.feed(b"HELLO\r\nContent-Length: 2\r\n\r\nxx" + request(cseq=4))
    first, second = list(framer)
    assert isinstance(first, ParseError) and first.partial is None
    assert isinstance(second, Request) and second.cseq.seq == 4


def test_bare_lf_line_endings_are_framed() -> None:
    framer = StreamFramer()
    framer.feed(request().replace(b"\r\n", b"\n"))
    (item,) = list(framer)
    assert isinstance(item, Request)


def test_pending_while_a_message_is_incomplete() -> None:
    framer = StreamFramer()
    assert not framer.pending
    framer.feed(b"\r\n")  # maybe a ping's first half: not a message
    assert list(framer) == [] and not framer.pending
    framer.feed(b"\r\n")
    assert len(list(framer)) == 1 and not framer.pending
    framer.feed(b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h")
    assert list(framer) == [] and framer.pending
    framer.feed(b";branch=z9hG4bK1\r\nContent-Length: 4\r\n\r\nab")
    assert list(framer) == [] and framer.pending  # head done, body still short


def test_prefilter_refuses_a_frame_unparsed_and_framing_goes_on() -> None:
    seen: list[bytes] = []

    def refuse_invites(frame: bytes) -> str | None:
        seen.append(frame)
        return "no_invites" if frame.startswith(b"INVITE") else None

    framer = StreamFramer(prefilter=refuse_invites)
    framer.feed(request("INVITE", SDP) + request("OPTIONS"))
    items = list(framer)
    assert isinstance(items[0], Refused) and items[0].why == "no_invites"
    assert items[0].partial is None  # nothing to answer from
    assert isinstance(items[1], Request) and items[1].method == "OPTIONS"
    assert len(seen) == 2
