"""µs per SIP message of the ladder's wire capture (:mod:`tas.transport.capture`, ``[admin]
ladder_messages``), next to parsing the same message (the stack's own per-message cost, the
peer measured in the same run). The five messages of one call (INVITE, 200, ACK, BYE, 200) are
captured to an attached journal-like sink; best of many rounds (the machine is shared).

    python -m tests.bench.bench_capture
"""

from __future__ import annotations

from tas.sip.parser import parse_message
from tas.sip.transaction_base import Peer
from tas.transport.capture import WireCapture, WireMessage
from tests.bench.bench_sip_parse import ACK, BYE, INVITE, OK, _best_us

CALL = (INVITE, OK, ACK, BYE, OK.replace(b"1 INVITE", b"2 BYE"))
PEER = Peer("UDP", "127.0.0.1", 5061)


class _Sink:
    def wire(self, message: WireMessage) -> None:
        message.to_detail()  # what CallJournal.wire does before queueing the milestone


def main() -> None:
    capture = WireCapture(per_call=10**9, calls=10)
    capture.attach("1-12345@127.0.0.1", _Sink())

    def captured() -> None:
        for data in CALL:
            capture.record("in", data, PEER)

    def parsed() -> None:
        for data in CALL:
            parse_message(data)

    capture_us, parse_us = _best_us(captured) / len(CALL), _best_us(parsed) / len(CALL)
    print(f"{'capture+summary JSON per message':34} {capture_us:7.2f} µs")
    print(f"{'parse per message (peer)':34} {parse_us:7.2f} µs")
    print(f"{'capture / parse':34} {capture_us / parse_us:7.2f}")


if __name__ == "__main__":
    main()
