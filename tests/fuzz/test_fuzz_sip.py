"""Property and fuzz tests of the SIP message layer (RFC 3261 §7, §25).

Invariant: any input gives a value or a :class:`ParseError` — never another exception, never a
hang. Plus: mutations of the RFC 4475 vectors, stream framing under arbitrary chunking, the
serialise/parse round trip, and fast-path == general-path for URIs, addresses and Via.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tas.sip import uri as uri_module
from tas.sip.errors import FramingError, ParseError
from tas.sip.framing import KeepAlive, StreamFramer
from tas.sip.headers import parse_address, parse_cseq, parse_via
from tas.sip.message import Message, Request, Response
from tas.sip.parser import Limits, parse_message
from tas.sip.uri import parse_uri

VECTORS = sorted((Path(__file__).resolve().parents[1] / "vectors" / "rfc4475").glob("*/*.dat"))
SEEDS = [p.read_bytes() for p in VECTORS]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INVITE = (
    b"INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-0\r\n"
    b"From: sipp <sip:sipp@127.0.0.1:5061>;tag=1\r\n"
    b"To: service <sip:service@127.0.0.1:5060>\r\n"
    b"Call-ID: 1-1@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.1:5061\r\n"
    b"Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n"
)

# Pieces of SIP text, so generated inputs get past the first checks and reach deep paths.
_PIECES = [
    "INVITE ", "SIP/2.0", "SIP/2.0 200 OK", " ", "\r\n", "\n", "\t", ":", ";", ",", "=",
    "<", ">", '"', "\\", "@", "?", "&", "%", "%41", "[", "]", "sip:", "sips:", "tel:+1",
    "user", "host.example.com", "127.0.0.1", "[2001:db8::1]", ":5060", ";branch=z9hG4bK1",
    ";tag=x", ";rport", ";received=1.2.3.4", ";lr", "Via: SIP/2.0/UDP ", "From: ", "To: ",
    "Call-ID: ", "CSeq: 1 INVITE", "Contact: ", "l: ", "Content-Length: ", "0", "10",
    "99999999999", "-1", "*", "\x00", "é",
]  # fmt: skip
T = TypeVar("T")
R = TypeVar("R")

sip_text = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


def _value_or_parse_error(fn: Callable[[T], R], arg: T) -> R | None:
    """``fn(arg)``, or None when it raised ParseError (anything else escapes and fails)."""
    try:
        return fn(arg)
    except ParseError:
        return None


@FUZZ
@given(st.binary(max_size=1500))
def test_parse_message_any_bytes(data: bytes) -> None:
    try:
        message = parse_message(data)
    except ParseError:
        return
    assert isinstance(message, Request | Response)


@FUZZ
@given(sip_text)
def test_parse_message_sip_shaped_text(text: str) -> None:
    message = _value_or_parse_error(parse_message, text.encode())
    if message is not None:  # what parses is a message that serialises and parses again
        assert isinstance(message, Request | Response)
        assert type(parse_message(bytes(message))) is type(message)


@FUZZ
@given(st.one_of(st.text(max_size=200), sip_text))
def test_header_parsers_any_text(text: str) -> None:
    # Each value that parses serialises to text that parses to an equal value (§25 grammar).
    uri = _value_or_parse_error(parse_uri, text)
    assert uri is None or parse_uri(str(uri)) == uri
    address = _value_or_parse_error(parse_address, text)
    assert address is None or parse_address(str(address)) == address
    for via in _value_or_parse_error(parse_via, text) or []:
        assert parse_via(str(via)) == [via]
    cseq = _value_or_parse_error(parse_cseq, text)
    assert cseq is None or (0 <= cseq.seq < 2**32 and parse_cseq(str(cseq)) == cseq)


@st.composite
def mutated_vector(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS + [INVITE])))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.integers(0, 4))
        if kind == 0:
            data[at] = draw(st.integers(0, 255))
        elif kind == 1:
            del data[at : at + draw(st.integers(1, 20))]
        elif kind == 2:
            data[at:at] = draw(st.sampled_from([p.encode() for p in _PIECES]))
        elif kind == 3:
            end = min(len(data), at + draw(st.integers(1, 80)))
            data[at:at] = data[at:end]  # duplicate a slice (headers, separators …)
        else:
            del data[at:]
    return bytes(data)


@FUZZ
@given(mutated_vector())
def test_parse_message_mutated_vectors(data: bytes) -> None:
    try:
        message = parse_message(data)
    except ParseError:
        return
    # What parses also serialises and parses again.
    again = parse_message(bytes(message))
    assert type(again) is type(message)


@FUZZ
@given(st.binary(max_size=800), st.lists(st.integers(1, 50), min_size=1, max_size=20))
def test_stream_framer_any_bytes(data: bytes, cuts: list[int]) -> None:
    framer = StreamFramer(Limits(max_message=600))
    pos = 0
    for size in cuts * (len(data) // max(1, sum(cuts)) + 1):
        framer.feed(data[pos : pos + size])
        pos += size
        for item in framer:
            assert isinstance(item, Request | Response | KeepAlive | ParseError)
        if pos >= len(data):
            break
    assert framer.failed is None or isinstance(framer.failed, FramingError)


@FUZZ
@given(
    st.lists(st.sampled_from(SEEDS[:0] + [INVITE, b"\r\n\r\n", b"\r\n"]), max_size=6),
    st.lists(st.integers(1, 40), min_size=1, max_size=10),
)
def test_stream_framer_chunking_does_not_matter(parts: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(parts)
    whole = StreamFramer()
    whole.feed(stream)
    expected = [_summary(i) for i in whole]
    chunked = StreamFramer()
    got: list[object] = []
    pos, k = 0, 0
    while pos < len(stream):
        size = cuts[k % len(cuts)]
        chunked.feed(stream[pos : pos + size])
        got.extend(_summary(i) for i in chunked)
        pos, k = pos + size, k + 1
    assert got == expected


def _summary(item: object) -> object:
    if isinstance(item, Message):
        return bytes(item)
    return type(item)


def _structure(message: Request | Response) -> tuple[object, ...]:
    start = (
        (message.method, str(message.uri))
        if isinstance(message, Request)
        else (message.status, message.reason)
    )
    headers = [(n, v) for n, v in message.headers if n != "Content-Length"]
    return (
        start,
        headers,
        message.body,
        message.via,
        message.from_,
        message.to,
        message.cseq,
        message.call_id,
    )


def test_round_trip_of_accepted_vectors() -> None:
    accepted = 0
    for data in [*SEEDS, INVITE]:
        try:
            first = parse_message(data)
        except ParseError:
            continue
        accepted += 1
        again = parse_message(bytes(first))
        assert _structure(again) == _structure(first)
        assert bytes(again) == bytes(first)
    assert accepted >= 25


# --- fast paths agree with the general grammar ------------------------------------------------

# Mostly well-formed pieces with a few bad ones mixed in, so both the fast paths and the
# general grammar see the same inputs, valid and invalid.
_hosts = st.sampled_from(
    ["example.com", "127.0.0.1", "a-b.c", "h."] * 4
    + ["a..b", "-a", "a-", "[::1]", "[2001:db8::1]", "x y"]
)
_ports = st.sampled_from(["", "", ":5060", ":5060", ":65535", ":65536", ":99999", ":", ":x"])
_users = st.sampled_from(
    ["", "alice@", "a.b-c_d!~*'()&=+$,@"] * 3 + ["%41b@", "u;p=1@", "u:pw@", "@", "a b@"]
)
_uparams = st.lists(
    st.sampled_from(
        [";lr", ";transport=TCP", ";Maddr=[::1]"] * 4 + [";x=%41", ";=", ";a=b c", ";;"]
    ),
    max_size=3,
).map("".join)
_hparams = st.lists(
    st.sampled_from(
        [";tag=1", ";Q=0.5", ";expires=60", ";x"] * 3 + [';y="q;v"', ";=", "; lr", ";a=b,c"]
    ),
    max_size=3,
).map("".join)
sip_uris = st.builds(
    lambda scheme, user, host, port, params, hdrs: f"{scheme}:{user}{host}{port}{params}{hdrs}",
    st.sampled_from(["sip", "sips"] * 4 + ["SIP", "sipx"]),
    _users,
    _hosts,
    _ports,
    _uparams,
    st.sampled_from([""] * 8 + ["?subject=x", "?a"]),
)
addresses = st.one_of(
    st.builds(
        lambda name, u, params: f"{name}<{u}>{params}",
        st.sampled_from(
            ["", '"Alice" ', "Bob ", "Bob Smith "] * 3
            + ['"A \\"B" ', "Bob  Smith ", "Bob", '"x"', "a,b "]
        ),
        sip_uris,
        _hparams,
    ),
    st.builds(lambda u, params: f"{u}{params}", sip_uris, _hparams),
)
vias = st.builds(
    lambda proto, host, port, params: f"{proto}{host}{port}{params}",
    st.sampled_from(["SIP/2.0/UDP ", "SIP/2.0/tls ", "SIP/2.0/UDP  ", "SIP/3.0/UDP ", "SIP/2.0/ "]),
    _hosts,
    _ports,
    st.lists(
        st.sampled_from(
            [";branch=z9hG4bK1", ";rport", ";rport=5060", ";rport=x", ";branch", ";X=Y"]
        ),
        max_size=3,
    ).map("".join),
)


@FUZZ
@given(sip_uris)
def test_uri_fast_path_matches_general_path(text: str) -> None:
    scheme, _, rest = text.partition(":")
    if scheme.lower() not in ("sip", "sips"):
        return
    fast: object
    slow: object
    try:
        fast = parse_uri(text)
    except ParseError:
        fast = ParseError
    try:
        slow = uri_module._parse_sip(scheme.lower(), rest, text)
    except ParseError:
        slow = ParseError
    assert fast == slow, text


@FUZZ
@given(addresses)
def test_address_fast_path_matches_general_path(text: str) -> None:
    _same_outcome(parse_address, text, " " + text)  # leading LWS forces the general path


@FUZZ
@given(vias)
def test_via_fast_path_matches_general_path(text: str) -> None:
    _same_outcome(parse_via, text, text + " ")  # trailing LWS forces the general path


def _same_outcome(fn: object, fast_input: str, slow_input: str) -> None:
    results = []
    for arg in (fast_input, slow_input):
        try:
            results.append(fn(arg))  # type: ignore[operator]
        except ParseError:
            results.append(ParseError)
    assert results[0] == results[1], (fast_input, results)
