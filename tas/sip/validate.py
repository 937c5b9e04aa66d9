"""UAS request checks (RFC 3261 §8.2.1–§8.2.3) and error responses for refused messages.

``check_request`` runs the checks a UAS makes before it processes a well-formed request, in the
RFC's order, and raises :class:`RemoteProtocolError` with the status to answer and the headers
that response must carry (``Allow`` for 405, ``Unsupported`` for 420, ``Accept`` for 415 …).
``error_response`` turns any :class:`RemoteProtocolError` (including a :class:`ParseError` with
its partial message) into that response, or ``None`` when no response may or can be sent.
"""

from __future__ import annotations

import secrets

from tas.sip.errors import ParseError, RemoteProtocolError
from tas.sip.message import KNOWN_METHODS, Headers, Message, Request, Response
from tas.sip.uri import SipURI

__all__ = [
    "DEFAULT_ACCEPT",
    "DEFAULT_SCHEMES",
    "check_request",
    "error_response",
]

#: Body types we take in requests and produce in responses by default.
DEFAULT_ACCEPT = frozenset({"application/sdp"})
#: Request-URI schemes we serve by default (§8.2.2.1).
DEFAULT_SCHEMES = frozenset({"sip", "sips", "tel"})


def check_request(
    request: Request,
    *,
    supported: frozenset[str] = frozenset(),
    accept: frozenset[str] = DEFAULT_ACCEPT,
    schemes: frozenset[str] = DEFAULT_SCHEMES,
    allow: frozenset[str] | None = None,
    produces: frozenset[str] = DEFAULT_ACCEPT,
    encodings: frozenset[str] = frozenset({"identity"}),
) -> None:
    """Refuse ``request`` with the status RFC 3261 §8.2 names, or return ``None``.

    In order: method (§8.2.1: 405 with ``Allow`` when ``allow`` is given and the method is a
    known one, else 501); Request-URI scheme (§8.2.2.1: 416); headers escaped into the
    Request-URI (§19.1.1, RFC 4475 §3.1.2.11: 400); a REGISTER whose To is not a SIP AOR
    (§10.3, RFC 4475 §3.3.4: 400); ``Require`` (§8.2.2.3: 420 with ``Unsupported``); body type,
    encoding and language (§8.2.3: 415 with ``Accept``/``Accept-Encoding``); and an INVITE whose
    ``Accept`` excludes every type in ``produces`` (§21.4.7, RFC 4475 §3.3.15: 406).

    A Max-Forwards of 0 is fine at an endpoint (RFC 4475 §3.3.11), and RFC 2543 requests
    without a branch are accepted for backward compatibility (RFC 4475 §3.4.1).
    """
    method = request.method
    # §8.2.1 method inspection.
    if allow is not None and method not in allow and method not in ("ACK", "CANCEL"):
        allow_value = ", ".join(sorted(allow))
        if method in KNOWN_METHODS:
            raise RemoteProtocolError(
                f"method {method} not allowed", 405, extra_headers=(("Allow", allow_value),)
            )
        raise RemoteProtocolError(
            f"method {method} not implemented", 501, extra_headers=(("Allow", allow_value),)
        )
    # §8.2.2.1 To and Request-URI.
    uri = request.uri
    if uri.scheme not in schemes:
        raise RemoteProtocolError(f"unsupported URI scheme {uri.scheme!r}", 416)
    if isinstance(uri, SipURI) and uri.headers:
        raise RemoteProtocolError("header fields escaped into the Request-URI", 400)
    if method == "REGISTER" and not isinstance(request.to.uri, SipURI):
        raise RemoteProtocolError("REGISTER To must be a sip: or sips: address-of-record", 400)
    # §8.2.2.3 Require (never answered for ACK; CANCEL carries no extensions, §9.1).
    if method not in ("ACK", "CANCEL"):
        unknown = [tag for tag in request.headers.values("Require") if tag not in supported]
        if unknown:
            raise RemoteProtocolError(
                f"unsupported extensions {', '.join(unknown)}",
                420,
                extra_headers=(("Unsupported", ", ".join(unknown)),),
            )
    # §8.2.3 content processing.
    if request.body:
        _check_body(request, accept, encodings)
    # §21.4.7: the answer to an INVITE carries a body of a type the caller must accept.
    if method == "INVITE" and "Accept" in request.headers:
        wanted = [v.split(";", 1)[0].strip().lower() for v in request.headers.values("Accept")]
        if not any(_media_match(pattern, have) for pattern in wanted for have in produces):
            raise RemoteProtocolError(
                "no acceptable body type for the response",
                406,
                extra_headers=(("Accept", ", ".join(sorted(produces))),),
            )


def _check_body(request: Request, accept: frozenset[str], encodings: frozenset[str]) -> None:
    content_type = request.content_type
    if content_type is None or content_type not in accept:
        raise RemoteProtocolError(
            f"unsupported body type {content_type!r}",
            415,
            extra_headers=(("Accept", ", ".join(sorted(accept))),),
        )
    for coding in request.headers.values("Content-Encoding"):
        if coding.lower() not in encodings:
            raise RemoteProtocolError(
                f"unsupported content coding {coding!r}",
                415,
                extra_headers=(("Accept-Encoding", ", ".join(sorted(encodings))),),
            )


def _media_match(pattern: str, media_type: str) -> bool:
    if pattern in ("*/*", media_type):
        return True
    major, _, minor = pattern.partition("/")
    return minor == "*" and media_type.startswith(major + "/")


def error_response(
    message: Message | None,
    exc: RemoteProtocolError,
    *,
    to_tag: str | None = None,
    need_via: bool = True,
) -> Response | None:
    """The response that refuses ``message`` with ``exc.status_hint`` (§8.2.6).

    ``message`` is the request, or ``exc.partial`` for a parse failure. Returns ``None`` for
    responses (a bad response is discarded, RFC 4475 §3.1.2.5, §3.1.2.19), for ACK (never
    answered, §17.2.1) and when the message has no usable Via to route the response (§18.2.2).
    Headers are copied as received, first field of each single-valued one; the To gets a tag
    when it has none (§8.2.6.2). ``need_via=False`` builds the response even when a Via does
    not parse, for a caller that routes it to the request's source itself (a 505 to a request
    whose Via names the same unknown version, RFC 4475 §3.3.15).
    """
    if not isinstance(message, Request) or message.method == "ACK":
        return None
    try:
        message.via  # noqa: B018 - routing needs every Via entry to be readable
    except ParseError:
        if need_via:
            return None
    headers = Headers()
    for value in message.headers.fields("Via"):
        headers.add("Via", value)
    for name in ("From", "To", "Call-ID", "CSeq"):
        raw = message.headers.get(name)
        if raw is not None:
            headers.add(name, _tagged_to(message, raw, to_tag) if name == "To" else raw)
    for name, value in exc.extra_headers:
        headers.add(name, value)
    return Response(exc.status_hint, None, headers)


def _tagged_to(message: Message, raw: str, to_tag: str | None) -> str:
    try:
        to = message.to
    except ParseError:
        return raw
    if to.tag is not None:
        return raw
    return f"{raw};tag={to_tag or secrets.token_hex(5)}"
