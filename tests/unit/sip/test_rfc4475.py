"""Every RFC 4475 torture message, with the handling RFC 4475's text names for it.

The vectors live in tests/vectors/rfc4475/ (sipgo's extraction; its valid/invalid split is only
a hint). Each case below cites the RFC 4475 section and states what the RFC says an element
receiving the message does: accept it, answer with a given status (from the parser or from the
UAS checks of RFC 3261 §8.2 in ``tas.sip.validate``), or silently discard a bad response.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tas.sip.errors import ParseError, RemoteProtocolError
from tas.sip.message import Message, Request, Response
from tas.sip.parser import parse_message
from tas.sip.uri import AbsoluteURI, SipURI
from tas.sip.validate import check_request, error_response

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "rfc4475"

#: The UAS we pretend to be: supports a couple of extensions and the bodies of these vectors.
UAS = {
    "supported": frozenset({"100rel", "timer"}),
    "accept": frozenset({"application/sdp", "multipart/mixed", "text/plain"}),
}


@dataclass(frozen=True)
class Accept:
    """Parses, passes the UAS checks; ``check`` asserts details the RFC points out."""

    check: Callable[[Message], None] | None = None


@dataclass(frozen=True)
class Reject:
    """Answered with ``status``; ``stage`` says who refuses it (parser or UAS checks)."""

    status: int
    stage: str = "parse"
    #: False when the response cannot be routed (no readable Via).
    answered: bool = True
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Discard:
    """A response that fails to parse; it is dropped, never answered."""


Expectation = Accept | Reject | Discard


def _wsinv(m: Message) -> None:
    assert isinstance(m, Request)
    assert m.method == "INVITE"
    assert m.to.display_name is None and m.to.tag == "1918181833n"
    assert m.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    # "SIP  /   2.0 / UDP" with LWS, folded over lines and split across a comma (§3.1.1.1).
    assert [v.transport for v in m.via] == ["UDP", "TCP", "UDP"]
    assert m.via[2].branch == "z9hG4bK30239"
    assert m.from_.display_name == 'J Rosenberg \\"'  # escaped backslash, escaped quote
    assert m.contact[0].display_name == 'Quoted string ""'
    assert m.contact[0].params == {"newparam": "newvalue", "secondparam": None, "q": "0.33"}
    assert m.body.startswith(b"v=0")


def _intmeth(m: Message) -> None:
    assert isinstance(m, Request) and isinstance(m.uri, SipURI)
    assert m.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert m.cseq.method == m.method
    assert m.uri.password is not None


def _esc01(m: Message) -> None:
    assert isinstance(m, Request) and isinstance(m.uri, SipURI)
    assert m.uri.user == "sips:user@example.com"  # escaped user decodes, host stays example.net
    assert m.uri.host == "example.net"


def _escnull(m: Message) -> None:
    assert isinstance(m.to.uri, SipURI)
    assert m.to.uri.user == "null-\x00-null"
    assert "%00" in str(m.to.uri)


def _esc02(m: Message) -> None:
    assert isinstance(m, Request)
    assert m.method == "RE%47IST%45R"  # methods are not unescaped: this is not a REGISTER
    assert m.to.display_name == "%Z%45"
    assert len(m.contact) == 2  # "C%6Fntact" is an unknown header, not a Contact
    assert m.headers.get("C%6Fntact") == "<sip:alias2@host2.example.com>"


def _lwsdisp(m: Message) -> None:
    assert m.from_.display_name == "caller"


def _longreq(m: Message) -> None:
    assert len(m.via) == 34
    assert m.to.display_name is not None and m.to.display_name.startswith("I have a user name")
    assert any(name.startswith("Unknown-LongLong") for name, _ in m.headers)


def _dblreq(m: Message) -> None:
    assert isinstance(m, Request) and m.method == "REGISTER" and m.body == b""


def _semiuri(m: Message) -> None:
    assert isinstance(m, Request) and isinstance(m.uri, SipURI)
    assert m.uri.user == "user;par=u@example.net"
    assert m.uri.host == "example.com"
    assert m.uri.params == {}


def _transports(m: Message) -> None:
    assert [v.transport for v in m.via] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]


def _mpart01(m: Message) -> None:
    assert m.content_type == "multipart/mixed"
    assert len(m.body) == int(m.headers.get("Content-Length") or 0)


def _unreason(m: Message) -> None:
    assert isinstance(m, Response) and m.status == 200
    assert m.reason.startswith("= 2**3 * 5**2")


def _noreason(m: Message) -> None:
    assert isinstance(m, Response) and m.status == 100 and m.reason == ""


def _badbranch(m: Message) -> None:
    # A bare magic cookie identifies no transaction: fall back to RFC 2543 matching (§17.2.3).
    assert isinstance(m, Request)
    assert m.top_via.branch == "z9hG4bK"
    assert m.transaction_key[0] == "2543"


def _bcast(m: Message) -> None:
    assert isinstance(m, Response)
    assert m.via[1].host == "255.255.255.255"


def _zeromf(m: Message) -> None:
    assert m.max_forwards == 0


def _cparam01(m: Message) -> None:
    contact = m.contact[0]
    assert isinstance(contact.uri, SipURI)
    assert "unknownparam" in contact.params  # a contact-param, not a url-param
    assert "unknownparam" not in contact.uri.params


def _cparam02(m: Message) -> None:
    contact = m.contact[0]
    assert isinstance(contact.uri, SipURI)
    assert "unknownparam" in contact.uri.params
    assert "unknownparam" not in contact.params


def _regescrt(m: Message) -> None:
    contact = m.contact[0]
    assert isinstance(contact.uri, SipURI)
    assert contact.uri.headers == {"Route": "<sip:sip.example.com>"}
    assert "Route=%3Csip:sip.example.com%3E" in str(contact.uri)


def _regaut01(m: Message) -> None:
    assert m.headers.get("Authorization") == "NoOneKnowsThisScheme opaque-data=here"


def _inv2543(m: Message) -> None:
    assert isinstance(m, Request)
    assert m.top_via.branch is None
    assert m.transaction_key[0] == "2543"
    assert m.max_forwards is None


CASES: dict[str, tuple[str, Expectation]] = {
    # §3.1.1 valid messages: a parser must accept them.
    "valid/wsinv": ("3.1.1.1", Accept(_wsinv)),
    "valid/intmeth": ("3.1.1.2", Accept(_intmeth)),
    "valid/esc01": ("3.1.1.3", Accept(_esc01)),
    "valid/escnull": ("3.1.1.4", Accept(_escnull)),
    "valid/esc02": ("3.1.1.5", Accept(_esc02)),
    "valid/lwsdisp": ("3.1.1.6", Accept(_lwsdisp)),
    "valid/longreq": ("3.1.1.7", Accept(_longreq)),
    # Over UDP the REGISTER is processed and the trailing INVITE octets are ignored.
    "valid/dblreq": ("3.1.1.8", Accept(_dblreq)),
    "valid/semiuri": ("3.1.1.9", Accept(_semiuri)),
    "valid/transports": ("3.1.1.10", Accept(_transports)),
    "valid/mpart01": ("3.1.1.11", Accept(_mpart01)),
    "valid/unreason": ("3.1.1.12", Accept(_unreason)),
    "valid/noreason": ("3.1.1.13", Accept(_noreason)),
    # §3.1.2 invalid messages.
    "invalid/badinv01": ("3.1.2.1", Reject(400, answered=False)),  # its only Via is the bad one
    "invalid/clerr": ("3.1.2.2", Reject(400)),  # over UDP: Content-Length beyond the datagram
    "invalid/ncl": ("3.1.2.3", Reject(400)),
    "invalid/scalar02": ("3.1.2.4", Reject(400)),  # the CSeq error mandates 400
    "invalid/scalarlg": ("3.1.2.5", Discard()),
    "invalid/quotbal": ("3.1.2.6", Reject(400)),
    "invalid/ltgtruri": ("3.1.2.7", Reject(400, answered=False)),  # no partial: bad start line
    "invalid/lwsruri": ("3.1.2.8", Reject(400, answered=False)),
    "invalid/lwsstart": ("3.1.2.9", Reject(400, answered=False)),
    "invalid/trws": ("3.1.2.10", Reject(400, answered=False)),
    # "acceptable to reject with 400": the URI parses, the UAS refuses it.
    "invalid/escruri": ("3.1.2.11", Reject(400, "check")),
    # Invalid Date: an element that does not use Date may ignore it; we do.
    "invalid/baddate": ("3.1.2.12", Accept()),
    "invalid/regbadct": ("3.1.2.13", Reject(400)),
    "invalid/badaspec": ("3.1.2.14", Reject(400)),
    "invalid/baddn": ("3.1.2.15", Reject(400)),
    "invalid/badvers": ("3.1.2.16", Reject(505)),  # answered: the head is readable
    "invalid/mismatch01": ("3.1.2.17", Reject(400)),
    # "should respond with 501 … a 400 is also acceptable": we send the preferred 501.
    "invalid/mismatch02": ("3.1.2.18", Reject(501)),
    "invalid/bigcode": ("3.1.2.19", Discard()),
    # §3.2 transaction layer.
    "invalid/badbranch": ("3.2.1", Accept(_badbranch)),
    # §3.3 application layer.
    "invalid/insuf": ("3.3.1", Reject(400)),
    "invalid/unkscm": ("3.3.2", Reject(416, "check")),
    "invalid/novelsc": ("3.3.3", Reject(416, "check")),
    # A registrar refuses a To that is not a SIP AOR with 400.
    "invalid/unksm2": ("3.3.4", Reject(400, "check")),
    "invalid/bext01": (
        "3.3.5",
        Reject(
            420, "check", headers={"Unsupported": "nothingSupportsThis, nothingSupportsThisEither"}
        ),
    ),
    "invalid/invut": (
        "3.3.6",
        Reject(415, "check", headers={"Accept": "application/sdp, multipart/mixed, text/plain"}),
    ),
    # Parses; a registrar that does no authentication ignores the unknown scheme.
    "invalid/regaut01": ("3.3.7", Accept(_regaut01)),
    "invalid/multi01": ("3.3.8", Reject(400)),
    "invalid/mcl01": ("3.3.9", Reject(400)),
    # Well formed; dropped by the transaction layer as it matches nothing we sent.
    "invalid/bcast": ("3.3.10", Accept(_bcast)),
    # An endpoint processes it as if Max-Forwards were still positive (proxies answer 483).
    "invalid/zeromf": ("3.3.11", Accept(_zeromf)),
    "invalid/cparam01": ("3.3.12", Accept(_cparam01)),
    "invalid/cparam02": ("3.3.13", Accept(_cparam02)),
    "invalid/regescrt": ("3.3.14", Accept(_regescrt)),
    "invalid/sdp01": ("3.3.15", Reject(406, "check", headers={"Accept": "application/sdp"})),
    # §3.4 backward compatibility: RFC 2543 syntax is accepted.
    "invalid/inv2543": ("3.4.1", Accept(_inv2543)),
    # Not an RFC 4475 message (sipgo's own): no SIP-Version, a header line without a colon.
    "invalid/test": ("-", Reject(400, answered=False)),
}


def test_every_vector_has_an_expectation() -> None:
    on_disk = {str(p.relative_to(VECTORS))[:-4] for p in VECTORS.glob("*/*.dat")}
    assert on_disk == set(CASES)
    assert (VECTORS / "SOURCE").is_file()


def _load(name: str) -> bytes:
    return (VECTORS / f"{name}.dat").read_bytes()


@pytest.mark.parametrize("name", sorted(CASES), ids=lambda n: f"{CASES[n][0]}-{n.split('/')[1]}")
def test_vector(name: str) -> None:
    _, expected = CASES[name]
    data = _load(name)
    if isinstance(expected, Discard):
        with pytest.raises(ParseError) as info:
            parse_message(data)
        assert error_response(info.value.partial, info.value) is None
        return
    if isinstance(expected, Reject) and expected.stage == "parse":
        with pytest.raises(ParseError) as info:
            parse_message(data)
        _assert_answer(info.value.partial, info.value, expected)
        return
    message = parse_message(data)
    if isinstance(expected, Reject):
        assert isinstance(message, Request)
        with pytest.raises(RemoteProtocolError) as rinfo:
            check_request(message, **UAS)
        _assert_answer(message, rinfo.value, expected)
        return
    if isinstance(message, Request):
        check_request(message, **UAS)
    if expected.check is not None:
        expected.check(message)
    # What we accept survives a serialise/parse round trip with the same meaning.
    again = parse_message(bytes(message))
    assert type(again) is type(message)
    assert again.body == message.body
    assert [str(v) for v in again.via] == [str(v) for v in message.via]
    assert again.cseq == message.cseq and again.call_id == message.call_id


def _assert_answer(message: Message | None, exc: RemoteProtocolError, expected: Reject) -> None:
    assert exc.status_hint == expected.status, exc
    # a 505's Via names the unknown version too: the endpoint answers the source instead
    response = error_response(message, exc, to_tag="t1", need_via=expected.status != 505)
    if not expected.answered:
        assert response is None
        return
    assert response is not None and response.status == expected.status
    assert isinstance(message, Request)
    assert response.headers.fields("Via") == message.headers.fields("Via")
    for name, value in expected.headers.items():
        assert response.headers.get(name) == value
    # Headers are echoed as received (even malformed ones), so only the start line is ours.
    assert bytes(response).startswith(f"SIP/2.0 {expected.status} ".encode())


def test_unknown_scheme_request_uri_is_kept_opaque() -> None:
    message = parse_message(_load("invalid/unkscm"))
    assert isinstance(message, Request)
    assert message.uri == AbsoluteURI("nobodyknowsthisscheme", "totallyopaquecontent")


def test_dblreq_trailing_request_is_not_the_body() -> None:
    data = _load("valid/dblreq")
    message = parse_message(data)
    assert b"INVITE sip:joe@example.com" in data and message.body == b""
