"""The naive SIP responder: the floor that ``tas serve``'s CPU per call is measured against
(issue 17). One UDP socket on uvloop, no transactions, dialogs or records: a 200 OK (with an
SDP answer) to INVITE and BYE built by :mod:`tests.naive_sip`, nothing for ACK.

``python -m tests.bench.naive_responder PORT`` serves on 127.0.0.1:PORT until killed.
"""

from __future__ import annotations

import asyncio
import sys

import uvloop

from tests.naive_sip import header_map, ok_response

SDP = (
    "v=0\r\no=naive 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


class Responder(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.contact = "<sip:naive@{}:{}>".format(*transport.get_extra_info("sockname"))

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        text = data.decode(errors="replace")
        method = text.split(" ", 1)[0]
        if method in ("INVITE", "BYE", "OPTIONS"):
            h = header_map(text)
            body = SDP if method == "INVITE" else ""
            self.transport.sendto(ok_response(h, body, tag="naive", contact=self.contact), addr)  # type: ignore[attr-defined]


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Responder, local_addr=("127.0.0.1", port))
    await asyncio.Event().wait()


if __name__ == "__main__":
    uvloop.run(serve(int(sys.argv[1])))
