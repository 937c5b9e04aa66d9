"""The SIP ladder of a test call (pure): every message sent or received, with relative timings.

The harness's stack hands each wire message here (bytes + time + peer); an entry keeps the
start line (RFC 3261 §7.1 Request-Line / §7.2 Status-Line), the CSeq method, the Call-ID and
the direction, which is all a ladder diagram needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Ladder", "LadderEntry", "summarize"]

_CSEQ = re.compile(rb"^(?:CSeq|cseq|CSEQ)[ \t]*:[ \t]*\d+[ \t]+([A-Za-z]+)", re.M)
_CALL_ID = re.compile(rb"^(?:Call-ID|i|call-id|CALL-ID)[ \t]*:[ \t]*(\S+)", re.M)


@dataclass(frozen=True, slots=True)
class LadderEntry:
    """One message: ``at`` seconds after the first message of the ladder."""

    at: float
    direction: str  # "out" (we sent it) or "in"
    label: str  # "INVITE sip:+47…@host", "100 Trying", "200 OK (INVITE)"
    method: str  # the request method, or the CSeq method of a response
    status: int | None  # None for requests
    call_id: str
    peer: str  # transport:host:port

    def to_dict(self) -> dict[str, object]:
        return {
            "at": round(self.at, 6),
            "direction": self.direction,
            "label": self.label,
            "method": self.method,
            "status": self.status,
            "call_id": self.call_id,
            "peer": self.peer,
        }


def summarize(data: bytes) -> tuple[str, str, int | None, str]:
    """(label, method, status, call_id) of a wire message; never raises on garbage."""
    line = data.split(b"\r\n", 1)[0].decode("utf-8", "replace").strip()
    cseq = _CSEQ.search(data)
    method = cseq.group(1).decode("ascii").upper() if cseq else ""
    found = _CALL_ID.search(data)
    call_id = found.group(1).decode("utf-8", "replace") if found else ""
    if line.startswith("SIP/"):
        parts = line.split(" ", 2)
        try:
            status: int | None = int(parts[1])
        except (IndexError, ValueError):
            return line[:80], method, None, call_id
        reason = parts[2] if len(parts) > 2 else ""
        label = f"{status} {reason}".strip() + (f" ({method})" if method else "")
        return label, method, status, call_id
    request_method, _, rest = line.partition(" ")
    uri = rest.rsplit(" ", 1)[0]
    return f"{request_method} {uri}"[:100], request_method.upper(), None, call_id


@dataclass(slots=True)
class Ladder:
    """Messages of one call (or of every call when ``call_id`` is None) in order."""

    call_id: str | None = None
    entries: list[LadderEntry] = field(default_factory=list)
    started: float | None = None
    heard_from_peer: bool = False

    def record(self, direction: str, data: bytes, now: float, peer: str) -> LadderEntry | None:
        label, method, status, call_id = summarize(data)
        if self.call_id is not None and call_id != self.call_id:
            return None
        if self.started is None:
            self.started = now
        entry = LadderEntry(now - self.started, direction, label, method, status, call_id, peer)
        self.entries.append(entry)
        if direction == "in":
            self.heard_from_peer = True
        return entry
