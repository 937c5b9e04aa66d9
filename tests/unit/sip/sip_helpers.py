"""Builders shared by the transaction, dialog and endpoint unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from tas.sip.message import Request, Response
from tas.sip.parser import parse_message
from tas.sip.transaction_base import Peer
from tas.sip.transaction_client import ClientTransaction
from tas.sip.transaction_server import ServerTransaction

UDP_PEER = Peer("UDP", "192.0.2.10", 5070)
TCP_PEER = Peer("TCP", "192.0.2.10", 40000, conn=7)
SDP = b"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


def request(
    method: str = "INVITE",
    *,
    branch: str = "z9hG4bK-1",
    transport: str = "UDP",
    cseq: int = 1,
    call_id: str = "call-1@192.0.2.10",
    to_tag: str | None = None,
    from_tag: str = "ft1",
    body: bytes = b"",
    via_host: str = "192.0.2.10:5070",
    extra: str = "",
) -> Request:
    to = "<sip:bob@192.0.2.20>" + (f";tag={to_tag}" if to_tag else "")
    cseq_method = method
    text = (
        f"{method} sip:bob@192.0.2.20 SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} {via_host};branch={branch}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:alice@192.0.2.10>;tag={from_tag}\r\n"
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {cseq_method}\r\n"
        "Contact: <sip:alice@192.0.2.10:5070>\r\n"
        f"{extra}"
        + ("Content-Type: application/sdp\r\n" if body else "")
        + f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    message = parse_message(text)
    assert isinstance(message, Request)
    return message


def response_to(req: Request, status: int, to_tag: str | None = "tt1") -> Response:
    resp = req.create_response(status, to_tag=to_tag if status > 100 else None)
    data = parse_message(bytes(resp))
    assert isinstance(data, Response)
    return data


@dataclass
class RecordingTU:
    """A transaction user that records every callback."""

    calls: list[tuple[str, object]] = field(default_factory=list)

    def on_request(self, txn: ServerTransaction, request: Request, now: float) -> None:
        self.calls.append(("request", request))

    def on_ack(self, request: Request, peer: Peer, now: float) -> None:
        self.calls.append(("ack", request))

    def on_cancel(self, request: Request, invite: ServerTransaction | None, now: float) -> None:
        self.calls.append(("cancel", invite))

    def on_response(self, txn: ClientTransaction, response: Response, now: float) -> None:
        self.calls.append(("response", response.status))

    def on_stray_response(self, response: Response, peer: Peer, now: float) -> None:
        self.calls.append(("stray", response.status))

    def on_timeout(self, txn: ClientTransaction | ServerTransaction, now: float) -> None:
        self.calls.append(("timeout", txn))

    def on_transport_error(self, txn: ClientTransaction | ServerTransaction, now: float) -> None:
        self.calls.append(("transport_error", txn))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.calls]
