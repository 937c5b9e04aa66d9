"""Message model (RFC 3261 §7): headers, typed views, responses, transaction keys, bytes."""

from __future__ import annotations

import pytest

from tas.sip.errors import ParseError
from tas.sip.headers import CSeq
from tas.sip.message import Headers, Request, Response
from tas.sip.parser import parse_message
from tas.sip.uri import SipURI

INVITE = (
    b"INVITE sip:bob@biloxi.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
    b"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1, SIP/2.0/TCP p2;branch=z9hG4bK2\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@biloxi.com>\r\n"
    b"From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    b"Contact: <sip:alice@pc33.atlanta.com>\r\n"
    b"Timestamp: 54\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n\r\nv=0\n"
)


def invite() -> Request:
    message = parse_message(INVITE)
    assert isinstance(message, Request)
    return message


def test_typed_views_follow_mutations() -> None:
    request = invite()
    assert request.to.tag is None
    request.headers.set("To", "Bob <sip:bob@biloxi.com>;tag=zz")
    assert request.to.tag == "zz"
    request.headers = Headers([*request.headers])
    assert request.to.tag == "zz"


# --- typed views -----------------------------------------------------------------------------


def test_views() -> None:
    request = invite()
    assert [v.host for v in request.via] == ["pc33.atlanta.com", "proxy.example.com", "p2"]
    assert request.top_via.branch == "z9hG4bK776asdhds"
    assert request.call_id == "a84b4c76e66710@pc33.atlanta.com"
    assert request.cseq == CSeq(314159, "INVITE")
    assert request.from_.tag == "1928301774" and request.from_.display_name == "Alice"
    assert request.max_forwards == 70
    assert [str(a.uri) for a in request.record_route] == [
        "sip:p1.example.com;lr",
        "sip:p2.example.com;lr",
    ]
    assert request.route == []
    assert request.content_type == "application/sdp"
    assert request.body == b"v=0\n"


def test_missing_and_duplicate_headers_raise_on_access() -> None:
    request = Request("OPTIONS", SipURI(host="h"), [("Call-ID", "a"), ("Call-ID", "b")])
    with pytest.raises(ParseError, match="missing Via"):
        request.via  # noqa: B018
    with pytest.raises(ParseError, match="more than one Call-ID"):
        request.call_id  # noqa: B018
    assert request.max_forwards is None and request.content_type is None


def test_contact_star_and_lists() -> None:
    register = Request("REGISTER", SipURI(host="r"), [("Contact", "*")])
    assert register.contact == []
    many = Request("REGISTER", SipURI(host="r"), [("m", "<sip:a@b>, <sip:c@d>;q=0.5")])
    assert [a.params for a in many.contact] == [{}, {"q": "0.5"}]


# --- responses (§8.2.6) ----------------------------------------------------------------------


def test_create_response_copies_per_8_2_6_2() -> None:
    request = invite()
    response = request.create_response(180, to_tag="b7")
    assert (response.status, response.reason) == (180, "Ringing")
    assert [n for n, _ in response.headers] == ["Via", "Via", "To", "From", "Call-ID", "CSeq"]
    assert response.headers.fields("Via") == request.headers.fields("Via")
    assert response.headers.get("To") == "Bob <sip:bob@biloxi.com>;tag=b7"
    assert response.to.tag == "b7"
    assert response.from_ == request.from_ and response.cseq == request.cseq
    assert "Record-Route" not in response.headers and "Contact" not in response.headers
    assert response.transaction_key == ("z9hG4bK776asdhds", "INVITE")


def test_create_response_keeps_an_existing_to_tag_and_echoes_timestamp_on_100() -> None:
    request = invite()
    request.headers.set("To", "<sip:bob@biloxi.com>;tag=old")
    assert request.create_response(200, to_tag="new").to.tag == "old"
    trying = request.create_response(100)
    assert trying.headers.get("Timestamp") == "54"
    assert "Timestamp" not in request.create_response(200).headers
    assert request.create_response(499, "Custom").reason == "Custom"
    assert Response(799).reason == "Unknown"


# --- transaction keys (§17.1.3, §17.2.3) -----------------------------------------------------


def test_server_key_rfc3261_and_ack_matches_invite() -> None:
    request = invite()
    assert request.transaction_key == ("z9hG4bK776asdhds", "pc33.atlanta.com", "INVITE")
    ack = parse_message(
        INVITE.replace(b"INVITE sip", b"ACK sip").replace(b"314159 INVITE", b"314159 ACK")
    )
    assert isinstance(ack, Request) and ack.transaction_key == request.transaction_key
    cancel = parse_message(
        INVITE.replace(b"INVITE sip", b"CANCEL sip").replace(b"314159 INVITE", b"314159 CANCEL")
    )
    assert isinstance(cancel, Request) and cancel.transaction_key[2] == "CANCEL"


def test_server_key_rfc2543_fallback() -> None:
    old = INVITE.replace(b";branch=z9hG4bK776asdhds", b"").replace(b";branch=z9hG4bK1,", b",")
    request = parse_message(old)
    assert isinstance(request, Request)
    key = request.transaction_key
    assert key[0] == "2543"
    assert key[1:6] == (
        "sip:bob@biloxi.com",
        "1928301774",
        "a84b4c76e66710@pc33.atlanta.com",
        "314159",
        "SIP/2.0/UDP pc33.atlanta.com",
    )
    bare_cookie = parse_message(INVITE.replace(b"z9hG4bK776asdhds", b"z9hG4bK"))
    assert isinstance(bare_cookie, Request) and bare_cookie.transaction_key[0] == "2543"


def test_client_key_uses_branch_and_cseq_method() -> None:
    response = parse_message(
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
        b"To: <sip:c@d>;tag=2\r\nCall-ID: c\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
    )
    assert isinstance(response, Response)
    assert response.transaction_key == ("z9hG4bKx", "BYE")


# --- serialisation ---------------------------------------------------------------------------


def test_serialisation_round_trip_and_content_length() -> None:
    request = invite()
    request.body = b"v=0\r\ns=-\r\n"
    data = bytes(request)
    assert data.startswith(b"INVITE sip:bob@biloxi.com SIP/2.0\r\n")
    assert b"Content-Length: 10\r\n\r\nv=0\r\ns=-\r\n" in data
    assert data.count(b"Content-Length") == 1
    again = parse_message(data)
    assert list(again.headers) == list(request.headers)[:-1] + [("Content-Length", "10")]
    assert bytes(again) == data


def test_compact_forms_expand_on_output() -> None:
    message = parse_message(
        b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:x@y>;tag=1\r\n"
        b"t: <sip:a@b>\r\ni: cid\r\nCSeq: 1 OPTIONS\r\nm: <sip:x@h>\r\nk: timer\r\nl: 0\r\n\r\n"
    )
    assert [n for n, _ in message.headers][:6] == [
        "Via",
        "From",
        "To",
        "Call-ID",
        "CSeq",
        "Contact",
    ]
    assert b"\r\nSupported: timer\r\n" in bytes(message)


def test_request_repr_and_response_bytes() -> None:
    assert repr(invite()) == "<Request INVITE sip:bob@biloxi.com>"
    response = Response(486, headers=[("Via", "SIP/2.0/UDP a;branch=z9hG4bK1")])
    assert bytes(response) == (
        b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n"
    )
    assert repr(response) == "<Response 486 Busy Here>"


def test_non_ascii_header_text_survives() -> None:
    request = invite()
    request.headers.add("Subject", "smörgåsbord")
    again = parse_message(bytes(request))
    assert again.headers.get("Subject") == "smörgåsbord"
