"""A UDP flood from one source address: pre-built datagrams sent with ``sendto`` in a tight,
paced loop, answers counted by status. ``python -m tests.security.flood_gen --target
127.0.0.1:P --source 127.0.0.2 --kind mix --rate 25000 --seconds 20``; prints a JSON report.

Kinds: ``garbage`` (random bytes), ``invite`` (INVITEs to E.164 numbers, distinct Call-IDs),
``via1000`` (INVITEs with 1,000 Vias), ``mix`` (garbage and INVITEs, half each).
``--sources N`` spreads the flood over N addresses (127.0.0.2 and 127.1.x.y); answers are
counted on the first socket only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import time
from collections import Counter

from tas.hostport import HostPort


def _invite(source: str, port: int, n: int, vias: int = 1) -> bytes:
    extra = "".join(
        f"Via: SIP/2.0/UDP 192.0.2.{i % 250}:5060;branch=z9hG4bK-x{i}\r\n" for i in range(vias - 1)
    )
    number = f"+4790{n % 1000000:06d}"
    return (
        f"INVITE sip:{number}@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {source}:{port};branch=z9hG4bK-fl{n}\r\n{extra}"
        f"From: <sip:+4791{n:06d}@{source}>;tag=fl{n}\r\nTo: <sip:{number}@127.0.0.1>\r\n"
        f"Call-ID: flood-{n}-{os.getpid()}@{source}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
        f"Contact: <sip:x@{source}:{port}>\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def build(kind: str, source: str, port: int, count: int = 2000) -> list[bytes]:
    rng = random.Random(7)
    garbage = [rng.randbytes(rng.randrange(40, 600)) for _ in range(count)]
    if kind == "garbage":
        return garbage
    if kind == "via1000":
        return [_invite(source, port, n, vias=1000) for n in range(200)]
    invites = [_invite(source, port, n) for n in range(count)]
    if kind == "invite":
        return invites
    return [m for pair in zip(garbage, invites, strict=True) for m in pair]


def _socket(source: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sock.bind((source, 0))
    sock.setblocking(False)
    return sock


def flood(
    target: tuple[str, int], source: str, kind: str, rate: float, seconds: float, sources: int = 1
) -> dict:
    """``sources`` > 1: one socket per address 127.1.x.y (a distributed flood)."""
    sock = _socket(source)
    extra = [_socket(f"127.1.{i // 250}.{i % 250 + 1}") for i in range(sources - 1)]
    messages = build(kind, source, sock.getsockname()[1])
    senders = [sock.sendto, *(s.sendto for s in extra)]
    statuses: Counter[str] = Counter()
    answered: set[bytes] = set()  # Call-IDs of the flood that got any answer
    sent = errors = 0
    n = len(messages)
    recv = sock.recv
    k = len(senders)

    def drain(limit: int = 4096) -> None:
        for _ in range(limit):
            try:
                data = recv(65536)
            except BlockingIOError:
                return
            statuses[data[:12].decode(errors="replace")] += 1
            _, found, rest = data.partition(b"\r\nCall-ID: ")
            if found:
                answered.add(rest.split(b"\r\n", 1)[0])

    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        due = int(elapsed * rate) + 64
        while sent < due:
            try:
                senders[sent % k](messages[sent % n], target)
            except OSError:
                errors += 1
            sent += 1
        drain()
        if sent > (time.perf_counter() - start) * rate:
            time.sleep(0.001)
    elapsed = time.perf_counter() - start
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        drain()
        time.sleep(0.01)
    sock.close()
    for other in extra:
        other.close()
    return {
        "sources": sources,
        "kind": kind,
        "sent": sent,
        "send_errors": errors,
        "seconds": elapsed,
        "rate": sent / elapsed,
        "answers": dict(statuses),
        "answered_calls": len(answered),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--source", default="127.0.0.2")
    parser.add_argument("--kind", default="mix", choices=["garbage", "invite", "via1000", "mix"])
    parser.add_argument("--rate", type=float, default=25000.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sources", type=int, default=1)
    args = parser.parse_args()
    report = flood(
        HostPort.parse(args.target).address(),
        args.source,
        args.kind,
        args.rate,
        min(args.seconds, 120),
        min(args.sources, 1000),
    )
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
