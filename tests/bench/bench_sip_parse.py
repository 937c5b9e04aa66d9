"""µs per SIP message: parse of the messages of one SIPp ``uac`` call, and response building.

The INVITE, ACK and BYE are byte for byte what ``sipp -sn uac`` sends (its built-in scenario),
the 200 OK what ``sipp -sn uas`` answers. Figures are the best of many rounds (the machine is
shared), next to a fixed pure-Python loop so runs on different machines can be compared.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable

from tas.sip.message import Request
from tas.sip.parser import parse_message

SDP = (
    b"v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    b"t=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)
INVITE = (
    b"INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-12345-1-0\r\n"
    b"From: sipp <sip:sipp@127.0.0.1:5061>;tag=12345SIPpTag001\r\n"
    b"To: service <sip:service@127.0.0.1:5060>\r\n"
    b"Call-ID: 1-12345@127.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: sip:sipp@127.0.0.1:5061\r\n"
    b"Max-Forwards: 70\r\n"
    b"Subject: Performance Test\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length:   129\r\n\r\n" + SDP
)
OK = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-12345-1-0\r\n"
    b"From: sipp <sip:sipp@127.0.0.1:5061>;tag=12345SIPpTag001\r\n"
    b"To: service <sip:service@127.0.0.1:5060>;tag=9876SIPpTag011\r\n"
    b"Call-ID: 1-12345@127.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: <sip:127.0.0.1:5060;transport=UDP>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length:   129\r\n\r\n" + SDP
)
ACK = (
    b"ACK sip:service@127.0.0.1:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-12345-1-5\r\n"
    b"From: sipp <sip:sipp@127.0.0.1:5061>;tag=12345SIPpTag001\r\n"
    b"To: service <sip:service@127.0.0.1:5060>;tag=9876SIPpTag011\r\n"
    b"Call-ID: 1-12345@127.0.0.1\r\n"
    b"CSeq: 1 ACK\r\n"
    b"Contact: sip:sipp@127.0.0.1:5061\r\n"
    b"Max-Forwards: 70\r\n"
    b"Subject: Performance Test\r\n"
    b"Content-Length: 0\r\n\r\n"
)
BYE = ACK.replace(b"ACK sip", b"BYE sip").replace(b"1 ACK", b"2 BYE").replace(b"-5\r", b"-7\r")


def _best_us(fn: Callable[[], object], number: int = 300, repeat: int = 60) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def _calibration() -> None:
    total = 0
    for i in range(100):
        total += i


def main() -> None:
    print(f"{'calibration (100-add loop)':32} {_best_us(_calibration):7.2f} µs")
    for name, data in (("INVITE (SIPp uac)", INVITE), ("200 OK", OK), ("ACK", ACK), ("BYE", BYE)):
        print(f"{'parse ' + name:32} {_best_us(lambda d=data: parse_message(d)):7.2f} µs")
    invite = parse_message(INVITE)
    assert isinstance(invite, Request)

    def respond() -> bytes:
        response = invite.create_response(200, to_tag="as7f3e1c")
        response.headers.add("Contact", "<sip:tas@127.0.0.1:5060>")
        response.headers.add("Content-Type", "application/sdp")
        response.body = SDP
        return bytes(response)

    print(f"{'build+serialise 200 OK (+SDP)':32} {_best_us(respond):7.2f} µs")
    print(f"{'serialise the parsed INVITE':32} {_best_us(lambda: bytes(invite)):7.2f} µs")
    per_call = sum(_best_us(lambda d=d: parse_message(d)) for d in (INVITE, ACK, BYE))
    print(f"{'parse INVITE+ACK+BYE (one call)':32} {per_call:7.2f} µs")


if __name__ == "__main__":
    main()
