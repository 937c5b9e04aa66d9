"""The fuzz invariant of each parser target, shared by atheris and the pytest replay.

Every ``check_*`` function takes raw bytes and returns normally when the input was handled as
the project promises: a parsed object, or the parser's own error type (``ParseError`` /
``SipError`` for SIP, ``PacketError`` / ``SdpError`` / ``OfferAnswerError`` for media), and a
stable round trip where the code defines one. Anything else escapes as an exception: an
``AssertionError`` for a broken invariant, or the unexpected exception itself (a crash).

Targets (names are the folder names under ``tests/vectors/fuzz/``): ``sip``, ``framing``,
``sdp``, ``rtp``, ``rtcp``, ``dtmf``, and ``headers`` (single header values).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from media.dtmf import DtmfReceiver, TelephoneEvent
from media.errors import MediaError, OfferAnswerError, PacketError, SdpError
from media.offer_answer import LocalMedia, apply_answer, create_answer, create_offer
from media.rtcp import parse_compound, serialize_compound
from media.rtp import RtpPacket
from media.sdp import Origin, SessionDescription
from tas.sip.errors import FramingError, ParseError, RemoteProtocolError, SipError
from tas.sip.framing import KeepAlive, StreamFramer
from tas.sip.headers import (
    Address,
    parse_address,
    parse_address_list,
    parse_cseq,
    parse_via,
    sip_uri,
)
from tas.sip.message import Message, Request, Response
from tas.sip.parser import Limits, parse_message
from tas.sip.uri import URI, SipURI, TelURI, parse_uri
from tas.sip.validate import check_request, error_response

__all__ = ["TARGETS", "check_dtmf", "check_framing", "check_rtcp", "check_rtp", "check_sdp"]


# --- SIP datagrams -------------------------------------------------------------------------


def _touch_uri(uri: URI) -> None:
    text = str(uri)
    assert parse_uri(text) == uri, (text, uri)  # a parsed URI serialises to an equal one
    if isinstance(uri, SipURI):
        _ = (uri.secure, uri.transport, uri.host_port)
    elif isinstance(uri, TelURI):
        _ = uri.number


def _touch_address(address: Address) -> None:
    _ = (address.tag, address.display_name)
    text = str(address)
    assert parse_address(text) == address, (text, address)
    _touch_uri(address.uri)
    try:
        sip_uri(address)
    except ParseError:
        pass


def _lazily(view: Callable[[], object]) -> object:
    """A typed header view: a value, or ParseError for a header that does not parse."""
    try:
        return view()
    except ParseError:
        return None


def touch_views(message: Request | Response) -> None:
    """Read every typed header view of a parsed message (they are parsed lazily)."""
    vias = _lazily(lambda: message.via)
    for via in vias if isinstance(vias, list) else []:
        _ = (via.branch, via.received, via.rport, via.wants_rport, via.sent_by)
        assert parse_via(str(via)) == [via], (str(via), via)
    _lazily(lambda: message.top_via)
    _lazily(lambda: message.call_id)
    cseq = _lazily(lambda: message.cseq)
    if cseq is not None:
        str(cseq)
    for view in (lambda: [message.from_], lambda: [message.to], lambda: message.contact):
        addresses = _lazily(view)
        for address in addresses if isinstance(addresses, list) else []:
            _touch_address(address)
    for view in (lambda: message.route, lambda: message.record_route):
        addresses = _lazily(view)
        for address in addresses if isinstance(addresses, list) else []:
            _touch_address(address)
    _lazily(lambda: message.max_forwards)
    _ = message.content_type
    _lazily(lambda: message.transaction_key)
    if isinstance(message, Request):
        _touch_uri(message.uri)
        _lazily(lambda: bytes(message.create_response(200, to_tag="t")))


def _structure(message: Request | Response) -> tuple[object, ...]:
    start = (
        (message.method, str(message.uri))
        if isinstance(message, Request)
        else (message.status, message.reason)
    )
    headers = [(n, v) for n, v in message.headers if n != "Content-Length"]
    return (start, headers, message.body)


_ALLOW = frozenset({"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"})


def check_sip(data: bytes) -> None:
    """A datagram parses to a message or a ParseError; a message round-trips and answers."""
    try:
        message = parse_message(data)
    except ParseError as exc:
        reply = error_response(exc.partial, exc)
        if reply is not None:
            bytes(reply)
        return
    assert isinstance(message, Request | Response)
    touch_views(message)
    if isinstance(message, Request):
        for allow in (None, _ALLOW):
            try:
                check_request(message, allow=allow)
            except RemoteProtocolError as exc:
                reply = error_response(message, exc, to_tag="t")
                if reply is not None:
                    bytes(reply)
    wire = bytes(message)
    again = parse_message(wire)  # what we accepted we also accept once re-serialised
    assert _structure(again) == _structure(message), (wire, bytes(again))
    assert bytes(again) == wire


def check_headers(data: bytes) -> None:
    """One header value straight into its parser (the first octet picks which); round trips.

    Reaches the URI, name-addr, Via and CSeq grammar without the message wrapper the ``sip``
    target needs first.
    """
    if not data:
        return
    text = data[1:].decode("utf-8", "surrogateescape")
    kind = data[0] % 5
    try:
        if kind == 0:
            _touch_uri(parse_uri(text))
        elif kind == 1:
            _touch_address(parse_address(text))
        elif kind == 2:
            for address in parse_address_list(text):
                _touch_address(address)
        elif kind == 3:
            for via in parse_via(text):
                assert parse_via(str(via)) == [via], (str(via), via)
                _ = (via.rport, via.sent_by)
        else:
            cseq = parse_cseq(text)
            assert parse_cseq(str(cseq)) == cseq
    except ParseError:
        pass


# --- stream framing ------------------------------------------------------------------------


def _summary(item: object) -> object:
    if isinstance(item, Message):
        return bytes(item)
    return type(item).__name__


def _frame_all(stream: bytes, cuts: list[int], limits: Limits) -> tuple[list[object], bool]:
    framer = StreamFramer(limits)
    got: list[object] = []
    pos, k = 0, 0
    while True:
        size = cuts[k % len(cuts)] if cuts else len(stream)
        framer.feed(stream[pos : pos + size])
        for item in framer:
            assert isinstance(item, Request | Response | KeepAlive | ParseError), item
            got.append(_summary(item))
        pos, k = pos + max(size, 1), k + 1
        if pos >= len(stream):
            break
    assert framer.failed is None or isinstance(framer.failed, FramingError)
    return got, framer.failed is not None


def check_framing(data: bytes) -> None:
    """The first bytes choose the chunk sizes; framing must not depend on the chunking."""
    head, stream = data[:8], data[8:]
    cuts = [1 + b % 64 for b in head]
    limits = Limits(max_message=2048)
    whole, whole_failed = _frame_all(stream, [], limits)
    chunked, chunked_failed = _frame_all(stream, cuts, limits)
    if not whole_failed and not chunked_failed:
        assert chunked == whole, (whole, chunked)
    else:
        # A failure ends the stream; items before it are the same whatever the chunking
        # (except the "no end of headers" limit, which depends on how much was buffered).
        n = min(len(whole), len(chunked)) - 1
        assert chunked[:n] == whole[:n], (whole, chunked)


# --- SDP and offer/answer ------------------------------------------------------------------

_LOCAL = LocalMedia("192.0.2.10", 40000)
_ORIGIN = Origin("-", "1", "1", "IN", "IP4", "192.0.2.10")
_OFFER = create_offer(_LOCAL, _ORIGIN)


def _canonical(sdp: SessionDescription) -> SessionDescription:
    """``sdp`` with its verbatim extra lines sorted: serialising puts them in RFC 8866 order."""
    media = tuple(replace(m, extra=tuple(sorted(m.extra))) for m in sdp.media)
    return replace(sdp, extra=tuple(sorted(sdp.extra)), media=media)


def check_sdp(data: bytes) -> None:
    """SDP parses or raises SdpError; it round-trips; negotiation gives media or a 488."""
    try:
        sdp = SessionDescription.parse(data)
    except SdpError:
        return
    text = str(sdp)
    again = SessionDescription.parse(text)
    assert _canonical(again) == _canonical(sdp), (text, str(again))  # nothing lost
    assert str(again) == text
    for index in range(len(sdp.media)):
        _ = (sdp.connection_for(index), sdp.direction_for(index))
        media = sdp.media[index]
        _ = (media.rtpmaps(), media.fmtps(), media.direction)
    try:
        answer, negotiated = create_answer(sdp, _LOCAL, _ORIGIN)
    except OfferAnswerError as exc:
        assert 400 <= exc.status <= 699
    else:
        _ = (negotiated.sends, negotiated.receives)
        assert SessionDescription.parse(bytes(answer)) == answer
    # Read as the answer to our own one-stream offer, and to an offer with as many m= lines.
    for offer in (_OFFER, sdp):
        try:
            negotiated = apply_answer(offer, sdp, _LOCAL)
        except OfferAnswerError:
            continue
        assert 0 <= negotiated.payload_type <= 127, negotiated


# --- RTP, RTCP, RFC 4733 -------------------------------------------------------------------


def check_rtp(data: bytes) -> None:
    """RTP parses or raises PacketError; ``parse(bytes(p)) == p`` (padding octets aside)."""
    try:
        packet = RtpPacket.parse(data)
    except PacketError:
        return
    wire = bytes(packet)
    assert RtpPacket.parse(wire) == packet, (data, wire)
    assert bytes(RtpPacket.parse(wire)) == wire


def check_rtcp(data: bytes) -> None:
    """A compound RTCP datagram parses or raises PacketError; serialising is stable."""
    try:
        packets = parse_compound(data)
    except PacketError:
        return
    try:
        wire = serialize_compound(packets)
    except PacketError:
        return  # a parsed value the serialiser refuses (e.g. an SDES item over 255 octets)
    again = parse_compound(wire)
    assert again == packets, (data, wire)
    assert serialize_compound(again) == wire


def check_dtmf(data: bytes) -> None:
    """Telephone-event payloads parse or raise PacketError; the receiver never crashes."""
    try:
        event = TelephoneEvent.parse(data)
    except PacketError:
        pass
    else:
        assert TelephoneEvent.parse(bytes(event)) == event
    receiver = DtmfReceiver()
    for i in range(0, len(data), 6):  # 2 octets of timestamp, then a 4-octet payload
        chunk = data[i : i + 6]
        packet = RtpPacket(101, i, int.from_bytes(chunk[:2], "big"), 1, chunk[2:])
        try:
            for digit in receiver.feed(packet):
                assert digit.digit in "0123456789*#ABCD"
        except PacketError:
            pass
    receiver.flush()


TARGETS: dict[str, Callable[[bytes], None]] = {
    "sip": check_sip,
    "headers": check_headers,
    "framing": check_framing,
    "sdp": check_sdp,
    "rtp": check_rtp,
    "rtcp": check_rtcp,
    "dtmf": check_dtmf,
}

#: Errors a target may raise for bad input (documented here; the checks above swallow them).
EXPECTED_ERRORS = (SipError, MediaError)
