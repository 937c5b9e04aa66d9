"""A minimal SIP server for flood tests: the real :class:`SipStack` (overload control on,
``127.0.0.1`` trusted) answering trusted INVITEs with 200 and untrusted ones with the trust
boundary's uniform 403. Run ``python -m tests.security.flood_server --port P --stats F``;
prints ``ready <port>``; on SIGTERM (or after ``--max-seconds``) writes its overload counters
as JSON to ``F`` and exits."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path

from tas.sip.events import Event, IncomingCall
from tas.transport.loop import run, stop_signals
from tas.transport.overload import OverloadLimits
from tas.transport.stack import SipStack, StackOptions
from tas.transport.trust import TrustPolicy

SDP = (
    b"v=0\r\no=tas 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


async def serve(port: int, max_seconds: float, limits: OverloadLimits) -> dict[str, object]:
    options = StackOptions(
        udp=(f"127.0.0.1:{port}",),
        tcp=(),
        trust=TrustPolicy.from_texts(["127.0.0.1"]),
        limits=limits,
    )
    stack = await SipStack.open(options)
    endpoint = stack.endpoint
    answered = rejected = 0

    def on_event(event: Event) -> None:
        nonlocal answered, rejected
        if isinstance(event, IncomingCall):
            call = event.call
            if stack.trust_of(call.peer).is_trusted:
                endpoint.answer(call, SDP, stack.now())
                answered += 1
            else:
                endpoint.reject(call, 403, stack.now())
                rejected += 1

    stack.on_event = on_event
    print(f"ready {stack.local['UDP'][1]}", flush=True)
    with stop_signals() as stop:
        try:
            await asyncio.wait_for(stop.wait(), max_seconds)
        except TimeoutError:
            pass
    guard = stack.overload
    report = {
        "answered": answered,
        "rejected_403": rejected,
        "drops": guard.drops.totals,
        "rejects_503": guard.rejects.totals,
        "errors": guard.errors.totals,
        "peak_lag": guard.lag.peak,
        "live_calls": len(endpoint.calls),
        "sources": len(guard.buckets),
    }
    await stack.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stats", type=Path, required=True)
    parser.add_argument("--max-seconds", type=float, default=180.0)
    parser.add_argument("--lag-threshold", type=float, default=OverloadLimits().lag_threshold)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    limits = OverloadLimits(lag_threshold=args.lag_threshold)
    report = run(serve(args.port, args.max_seconds, limits), server=True)
    args.stats.write_text(json.dumps(report))


if __name__ == "__main__":
    main()
