"""tas.transport.capture: summaries of SIP messages per Call-ID, bounded per call and in calls."""

from __future__ import annotations

from tas.sip.transaction_base import Peer
from tas.transport.capture import MAX_VALUE, WireCapture, WireMessage, summarise

PEER = Peer("UDP", "127.0.0.1", 5070)


def invite(call_id: str = "c1", method: str = "INVITE") -> bytes:
    return (
        f"{method} sip:+4799990001@tas.test SIP/2.0\r\n"
        "v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK0\r\n"
        "f: <sip:+4722@core>;tag=a\r\nTo: <sip:+4799990001@tas.test>\r\n"
        f"i: {call_id}\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
        "Content-Length: 4\r\n\r\nv=0\n"
    ).encode()


def response(status: str, call_id: str = "c1", method: str = "INVITE") -> bytes:
    return (
        f"SIP/2.0 {status}\r\nCall-ID: {call_id}\r\nCSeq: 1 {method}\r\n"
        f"Reason: {'x' * 400}\r\nContent-Length: 0\r\n\r\n"
    ).encode()


class Sink:
    def __init__(self) -> None:
        self.got: list[WireMessage] = []

    def wire(self, message: WireMessage) -> None:
        self.got.append(message)


def test_summary_keeps_the_first_line_and_key_headers_in_long_form() -> None:
    call_id, method, m = summarise("in", invite(), PEER, 12.5)
    assert (call_id, method, m.label, m.direction, m.peer, m.transport, m.at) == (
        "c1", "INVITE", "INVITE", "in", "127.0.0.1:5070", "UDP", 12.5,
    )  # fmt: skip
    assert m.first_line == "INVITE sip:+4799990001@tas.test SIP/2.0"
    assert [name for name, _ in m.headers] == ["Via", "From", "To", "Call-ID", "CSeq"]
    assert m.headers[0][1].endswith("branch=z9hG4bK1")  # the top Via only
    _, _, r = summarise("out", response("180 Ringing"), PEER, 13.0)
    assert (r.label, r.first_line) == ("180", "SIP/2.0 180 Ringing")
    assert dict(r.headers)["Reason"] == "x" * MAX_VALUE
    assert WireMessage.from_detail(r.to_detail()) == r


def test_messages_before_the_sink_wait_then_go_in_order() -> None:
    now = iter(range(100))
    capture = WireCapture(per_call=10, calls=5, clock=lambda: float(next(now)))
    capture.record("in", invite(), PEER)
    capture.record("out", response("100 Trying"), PEER)
    capture.record("in", invite("x", "OPTIONS"), PEER)  # no leg will claim it: not kept
    sink = Sink()
    capture.attach("c1", sink)
    capture.record("out", response("200 OK"), PEER)
    capture.record("in", invite(method="ACK"), PEER)
    capture.record("in", invite("other"), PEER)
    assert [m.label for m in sink.got] == ["INVITE", "100", "200", "ACK"]
    assert [m.at for m in sink.got] == [0.0, 1.0, 3.0, 4.0]


def test_at_most_per_call_messages_and_calls_pending_or_attached() -> None:
    capture = WireCapture(per_call=3, calls=2)
    sinks = {name: Sink() for name in ("a", "b", "c")}
    for name in ("a", "b", "c"):
        capture.attach(name, sinks[name])
    for _ in range(5):
        for name in ("a", "b", "c"):
            capture.record("in", invite(name, "INFO"), PEER)
    assert len(sinks["a"].got) == 0  # the least recently used sink went when c came: a waits
    assert len(sinks["b"].got) == len(sinks["c"].got) == 3
    for name in ("p", "q", "r"):  # pending: at most `calls` Call-IDs, per_call each
        for _ in range(5):
            capture.record("in", invite(name), PEER)
    late = Sink()
    capture.attach("p", late)  # p's pending messages were evicted by r
    assert late.got == []
    capture.attach("r", late)
    assert len(late.got) == 3
    # 2 over the limit for each of a (pending), b, c, p, q, r; a's and p's 3 pending evicted
    assert capture.dropped == 6 * 2 + 3 + 3
