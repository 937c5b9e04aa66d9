"""Seed corpora for the atheris targets: standards vectors, captured SDP, real-shaped packets.

``python -m tests.fuzz.seeds OUT`` writes ``OUT/<target>/seed-*`` for every target. The RTP,
RTCP and RFC 4733 seeds are built with the project's own serialisers in the shapes real peers
send (G.711 at 20 ms, a SIPp-style DTMF burst, SR+SDES and RR+BYE compounds), plus the packets
in ``tests/vectors/fuzz/<target>/`` (crashes found earlier).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from media.dtmf import dtmf_payloads
from media.rtcp import (
    ReportBlock,
    RtcpBye,
    RtcpReceiverReport,
    RtcpSdes,
    RtcpSenderReport,
    SdesChunk,
    serialize_compound,
)
from media.rtp import RtpExtension, RtpPacket

__all__ = ["REGRESSIONS", "TESTS", "regression_vectors", "seeds", "write_corpora"]

TESTS = Path(__file__).resolve().parents[1]
REGRESSIONS = TESTS / "vectors" / "fuzz"


def _files(pattern: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(TESTS.glob(pattern))]


def regression_vectors(target: str) -> list[Path]:
    """The crash inputs kept for ``target`` (every file in its folder but README.md)."""
    folder = REGRESSIONS / target
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name != "README.md")


def _msg(start: str, *headers: str, body: str = "") -> bytes:
    lines = [start, *headers, f"Content-Length: {len(body.encode())}", "", body]
    return "\r\n".join(lines).encode()


_COMMON = (
    'From: "Alice" <sip:alice@[2001:db8::10]:5070;transport=tcp>;tag=a1',
    "To: <tel:+4790011111;phone-context=+47>",
    "Call-ID: c1@2001:db8::10",
)


def _hand_written() -> list[bytes]:
    """Shapes RFC 4475 lacks: IPv6 (RFC 5118), tel: URIs, routes, Contact lists, responses."""
    via6 = "Via: SIP/2.0/TCP [2001:db8::10]:5070;branch=z9hG4bK-6;rport;received=192.0.2.1"
    return [
        _msg(
            "INVITE tel:+4790011111;phone-context=+47 SIP/2.0",
            via6,
            "v: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK-7,SIP/2.0/TLS h.example:5061;branch=z9hG4bK8",
            *_COMMON,
            "CSeq: 1 INVITE",
            "Max-Forwards: 70",
            "Contact: <sip:alice@[2001:db8::10]:5070;transport=tcp>;expires=60;q=0.5",
            "Route: <sip:p1.example;lr>, <sips:[2001:db8::1];lr>",
            "Record-Route: <sip:rr.example;lr;ftag=a1>",
            "P-Asserted-Identity: <tel:+4790022222>",
            "Content-Type: application/sdp",
            body="v=0\r\no=- 1 1 IN IP6 2001:db8::10\r\ns=-\r\n",
        ),
        _msg(
            "REGISTER sips:[2001:db8::1] SIP/2.0",
            "Via: SIP/2.0/TLS [2001:db8::10];branch=z9hG4bK-r",
            "From: <sips:+4790011111@example.com>;tag=r",
            "To: <sips:+4790011111@example.com>",
            "Call-ID: r1",
            "CSeq: 2 REGISTER",
            "Contact: *",
            "Expires: 0",
        ),
        _msg(
            "SIP/2.0 503 Service Unavailable",
            via6,
            *_COMMON[:1],
            "To: <sip:svc@192.0.2.5>;tag=s1",
            "Call-ID: c1",
            "CSeq: 1 INVITE",
            "Retry-After: 18000;duration=3600 (maintenance)",
            'Warning: 399 tas.example "overloaded"',
            'Contact: <sip:a@192.0.2.5>, "B" <sip:b@[::1]:5062>;expires=30',
        ),
    ]


def _sip() -> list[bytes]:
    return _files("vectors/rfc4475/*/*.dat") + _hand_written()


_HEADER_NAMES = {b"from": 1, b"to": 1, b"contact": 2, b"route": 2, b"record-route": 2, b"via": 3}


def _headers() -> list[bytes]:
    """Header values from the SIP seeds, each behind the octet that picks its parser."""
    out = {b"\x00sip:alice@example.com;transport=tcp", b"\x00tel:+4790011111", b"\x041 INVITE"}
    for message in _sip():
        for line in message.split(b"\r\n\r\n", 1)[0].splitlines():
            name, colon, value = line.partition(b":")
            kind = _HEADER_NAMES.get(name.strip().lower())
            if colon and kind is not None:
                out.add(bytes((kind,)) + value.strip())
    return sorted(out)


def _framing() -> list[bytes]:
    chunking = b"\x05\x01\x11\x03\x40\x02\x07\x20"  # the first 8 octets choose chunk sizes
    out = []
    messages = [m for m in _sip() if b"Content-Length" in m or b"\nl:" in m]
    for i, message in enumerate(messages):
        follower = messages[(i + 1) % len(messages)]
        out.append(chunking + message + b"\r\n\r\n" + follower)
    return out


def _sdp() -> list[bytes]:
    return _files("captures/sdp/*.sdp")


def _rtp() -> list[bytes]:
    voice = RtpPacket(0, 1000, 160_000, 0x1234ABCD, bytes(range(160)), marker=True)
    alaw = RtpPacket(8, 65535, 2**32 - 160, 0xDEADBEEF, b"\xd5" * 160)
    rich = RtpPacket(
        8, 7, 320, 42, b"\x55" * 20, csrc=(1, 2), extension=RtpExtension(0xBEDE, b"\x10\x01\0\0")
    )
    padded = RtpPacket(0, 9, 480, 42, b"\xff" * 17, padding=3)
    event = RtpPacket(101, 12, 960, 42, dtmf_payloads("5")[0], marker=True)
    return [bytes(p) for p in (voice, alaw, rich, padded, event)]


def _rtcp() -> list[bytes]:
    block = ReportBlock(0x1234ABCD, 3, -2, 70_000, 40, 0x11223344, 655)
    sr = RtcpSenderReport(42, 0xE1234567_89ABCDEF, 160_000, 50, 8000, (block,))
    sdes = RtcpSdes((SdesChunk(42, ((1, b"tas@192.0.2.10"),)),))
    rr = RtcpReceiverReport(42, (block, block))
    bye = RtcpBye((42,), b"call ended")
    return [serialize_compound([sr, sdes]), serialize_compound([rr, sdes, bye])]


def _dtmf() -> list[bytes]:
    out = []
    for digit in "05#D":
        payloads = dtmf_payloads(digit)
        out.append(b"".join(b"\x03\xc0" + p for p in payloads))  # (timestamp, payload) pairs
    return out


_BUILDERS = {
    "sip": _sip,
    "headers": _headers,
    "framing": _framing,
    "sdp": _sdp,
    "rtp": _rtp,
    "rtcp": _rtcp,
    "dtmf": _dtmf,
}


def seeds(target: str) -> list[bytes]:
    """Every seed of ``target``: built ones plus its regression vectors."""
    return _BUILDERS[target]() + [p.read_bytes() for p in regression_vectors(target)]


def write_corpora(out: Path) -> None:
    """Write ``out/<target>/seed-<sha1>``; existing corpus entries are kept."""
    for target in _BUILDERS:
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        for data in seeds(target):
            name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
            (folder / name).write_bytes(data)


if __name__ == "__main__":
    write_corpora(Path(sys.argv[1] if len(sys.argv) > 1 else "build/fuzz/corpus"))
