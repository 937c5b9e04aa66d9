"""The crude UAS half that SIPp-style test peers need: header lookup and a 200 OK echoing the
request's dialog headers. Deliberately not our SIP stack (the peer must be independent of it)."""

from __future__ import annotations


def header_map(message: str) -> dict[str, str]:
    """First value of each header of ``message``, by lower-case name (no compact forms)."""
    result: dict[str, str] = {}
    for line in message.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        name, _, value = line.partition(":")
        result.setdefault(name.strip().lower(), value.strip())
    return result


def ok_response(h: dict[str, str], sdp: str = "", *, tag: str, contact: str) -> bytes:
    """``200 OK`` to the request whose headers are ``h``; the To gets ``tag`` if it has none."""
    to = h["to"] if ";tag=" in h["to"] else f"{h['to']};tag={tag}"
    lines = [
        "SIP/2.0 200 OK",
        f"Via: {h['via']}",
        f"From: {h['from']}",
        f"To: {to}",
        f"Call-ID: {h['call-id']}",
        f"CSeq: {h['cseq']}",
        f"Contact: {contact}",
    ]
    if sdp:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(sdp.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + sdp).encode()
