"""UAS request checks (RFC 3261 §8.2.1–§8.2.3) and error responses."""

from __future__ import annotations

import pytest

from tas.sip.errors import ParseError, RemoteProtocolError
from tas.sip.message import Request, Response
from tas.sip.parser import parse_message
from tas.sip.validate import check_request, error_response


def request(
    method: str = "INVITE", uri: str = "sip:bob@example.com", extra: str = "", body: bytes = b""
) -> Request:
    data = (
        f"{method} {uri} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
        "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2\r\n"
        "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
        f"Call-ID: c1\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    message = parse_message(data)
    assert isinstance(message, Request)
    return message


def refusal(req: Request, **kwargs: object) -> RemoteProtocolError:
    with pytest.raises(RemoteProtocolError) as info:
        check_request(req, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_plain_invite_passes() -> None:
    check_request(request(extra="Content-Type: application/sdp\r\n", body=b"v=0\r\n"))
    check_request(request("OPTIONS"))


def test_max_forwards_zero_is_fine_at_an_endpoint() -> None:
    # RFC 4475 §3.3.11: an endpoint processes it as if Max-Forwards were still positive.
    zero = parse_message(bytes(request("OPTIONS")).replace(b"Max-Forwards: 70", b"Max-Forwards: 0"))
    assert isinstance(zero, Request) and zero.max_forwards == 0
    check_request(zero)


def test_method_inspection_405_and_501() -> None:
    allow = frozenset({"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"})
    check_request(request("OPTIONS"), allow=allow)
    error = refusal(request("SUBSCRIBE"), allow=allow)
    assert error.status_hint == 405
    assert error.extra_headers == (("Allow", "ACK, BYE, CANCEL, INVITE, OPTIONS"),)
    assert refusal(request("FROBNICATE"), allow=allow).status_hint == 501


def test_request_uri_scheme_416_and_escaped_headers_400() -> None:
    assert refusal(request(uri="mailto:bob@example.com")).status_hint == 416
    check_request(request(uri="tel:+4712345678"))
    assert refusal(request(uri="tel:+4712345678"), schemes=frozenset({"sip"})).status_hint == 416
    assert refusal(request(uri="sip:bob@example.com?Subject=x")).status_hint == 400


def test_register_needs_a_sip_aor() -> None:
    reg = request("REGISTER", "sip:example.com").headers
    reg.set("To", "<tel:+4712345678>")
    message = Request("REGISTER", request().uri, reg)
    assert refusal(message).status_hint == 400


def test_require_420_lists_unsupported_tags() -> None:
    req = request(extra="Require: 100rel, foo\r\nRequire: bar\r\n")
    error = refusal(req, supported=frozenset({"100rel"}))
    assert error.status_hint == 420 and error.extra_headers == (("Unsupported", "foo, bar"),)
    check_request(request("ACK", extra="Require: foo\r\n"))  # never refused for ACK


def test_unsupported_body_415_with_accept() -> None:
    error = refusal(request(extra="Content-Type: text/html\r\n", body=b"<p>"))
    assert error.status_hint == 415 and error.extra_headers == (("Accept", "application/sdp"),)
    no_type = refusal(request(body=b"v=0"))
    assert no_type.status_hint == 415
    gz = request(extra="Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n", body=b"x")
    error = refusal(gz)
    assert error.status_hint == 415 and error.extra_headers == (("Accept-Encoding", "identity"),)


def test_invite_accept_406() -> None:
    assert refusal(request(extra="Accept: text/plain\r\n")).status_hint == 406
    for ok in ("application/sdp", "application/*", "*/*", "text/plain, application/sdp;q=0.5"):
        check_request(request(extra=f"Accept: {ok}\r\n"))
    check_request(request("OPTIONS", extra="Accept: text/plain\r\n"))  # no body required


def test_error_response_for_a_request() -> None:
    req = request()
    error = RemoteProtocolError("nope", 420, extra_headers=(("Unsupported", "foo"),))
    response = error_response(req, error, to_tag="t9")
    assert isinstance(response, Response)
    assert response.status == 420 and response.reason == "Bad Extension"
    assert response.headers.fields("Via") == req.headers.fields("Via")
    assert response.to.tag == "t9" and response.headers.get("Unsupported") == "foo"
    assert response.cseq == req.cseq and response.call_id == req.call_id
    generated = error_response(req, error)
    assert generated is not None and generated.to.tag


def test_error_response_none_for_responses_ack_and_unroutable() -> None:
    error = RemoteProtocolError("x")
    assert error_response(None, error) is None
    assert error_response(Response(200), error) is None
    assert error_response(request("ACK"), error) is None
    broken = Request("OPTIONS", request().uri, [("Via", "garbage"), ("Call-ID", "c")])
    assert error_response(broken, error) is None


def test_error_response_from_a_parse_error_partial() -> None:
    data = bytes(request()).replace(b"Call-ID: c1\r\n", b"Call-ID: c1\r\nCall-ID: c2\r\n")
    with pytest.raises(ParseError) as info:
        parse_message(data)
    response = error_response(info.value.partial, info.value)
    assert response is not None and response.status == 400
    assert response.headers.fields("Call-ID") == ["c1"]
