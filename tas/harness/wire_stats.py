"""What a load run's SIP traffic looked like, the way SIPp's screens show it (pure: fed by the
harness stack's wire tap, no I/O).

* messages per kind (``INVITE``, ``100``, ``200``, ``BYE`` …), each way;
* retransmissions: a message sent (or received) again with the same start line, Call-ID and
  CSeq (RFC 3261 §17.1.1.2 Timer A/E, §17.2.1 2xx retransmission);
* unexpected messages: a message received for a Call-ID the run never sent (stray), or a
  request the harness does not take part in (anything but BYE, ACK, CANCEL, INVITE, UPDATE,
  OPTIONS, INFO, PRACK, NOTIFY inside its own dialogs);
* response-time repartition: INVITE → 200 setup times in SIPp's default bins (ms).
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["REPARTITION_MS", "WireStats", "kind_of"]

#: SIPp's default ``-trace_stat`` ResponseTimeRepartition bounds, in ms (``< 10``, ``< 20`` …).
REPARTITION_MS: tuple[int, ...] = (10, 20, 30, 40, 50, 100, 150, 200, 500, 1000)

#: In-dialog requests a caller may be sent.
_EXPECTED_REQUESTS = frozenset(
    ("BYE", "ACK", "CANCEL", "INVITE", "UPDATE", "OPTIONS", "INFO", "PRACK", "NOTIFY")
)
#: Remembered message keys (retransmission detection), bounded: oldest forgotten first.
MAX_KEYS = 200_000


def kind_of(start_line: str) -> str:
    """``INVITE`` for a request line, ``180`` for a status line."""
    first, _, rest = start_line.partition(" ")
    if first.startswith("SIP/"):
        return rest.partition(" ")[0]
    return first


def _header(head: str, long: str, short: str) -> str:
    for line in head.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() in (long, short):
            return value.strip()
    return ""


@dataclass
class WireStats:
    """Counters over every message of a run; :meth:`tap` has the harness stack's tap signature."""

    sent: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    retransmitted: Counter[str] = field(default_factory=Counter)  # sent again by us
    retransmissions_received: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    repartition: list[int] = field(default_factory=lambda: [0] * (len(REPARTITION_MS) + 1))
    _seen: dict[tuple[str, str, str, str], None] = field(default_factory=dict, repr=False)
    _calls: set[str] = field(default_factory=set, repr=False)

    def tap(self, direction: str, data: bytes, at: float, peer: str) -> None:
        """One message on the wire (``direction`` is ``in`` or ``out``)."""
        head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        start = head.split("\r\n", 1)[0]
        if not start.strip():
            return  # keep-alive CRLF
        kind = kind_of(start)
        call_id = _header(head, "call-id", "i")
        key = (direction, start, call_id, _header(head, "cseq", ""))
        again = key in self._seen
        if not again:
            self._seen[key] = None
            if len(self._seen) > MAX_KEYS:
                del self._seen[next(iter(self._seen))]
        if direction == "out":
            self.sent[kind] += 1
            self.retransmitted[kind] += again
            if kind == "INVITE":
                self._calls.add(call_id)
            return
        self.received[kind] += 1
        self.retransmissions_received[kind] += again
        stray = call_id not in self._calls
        if stray or (not start.startswith("SIP/") and kind not in _EXPECTED_REQUESTS):
            self.unexpected[kind] += 1

    def setup(self, seconds: float) -> None:
        """An INVITE → 200 time, into its repartition bin."""
        self.repartition[bisect.bisect_right(REPARTITION_MS, 1000 * seconds)] += 1

    @property
    def heard(self) -> bool:
        """Anything at all came back from the far end."""
        return bool(self.received)

    def repartition_rows(self) -> list[tuple[str, int]]:
        """``("0 ms <= n < 10 ms", count)`` rows like SIPp's Response Time Repartition."""
        bounds = (0, *REPARTITION_MS)
        rows = [
            (f"{low} ms <= n < {high} ms", self.repartition[i])
            for i, (low, high) in enumerate(zip(bounds, REPARTITION_MS, strict=False))
        ]
        rows.append((f"n >= {REPARTITION_MS[-1]} ms", self.repartition[-1]))
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "messages_sent": dict(sorted(self.sent.items())),
            "messages_received": dict(sorted(self.received.items())),
            "retransmissions_sent": sum(self.retransmitted.values()),
            "retransmissions_received": sum(self.retransmissions_received.values()),
            "unexpected_messages": sum(self.unexpected.values()),
            "response_time_repartition": dict(self.repartition_rows()),
        }

    def screen(self) -> str:
        """A few lines like SIPp's periodic screen."""
        kinds = sorted(set(self.sent) | set(self.received), key=_order)
        lines = [f"{'message':>8} {'sent':>8} {'retrans':>8} {'received':>9} {'unexpected':>11}"]
        for kind in kinds:
            lines.append(
                f"{kind:>8} {self.sent[kind]:>8} {self.retransmitted[kind]:>8} "
                f"{self.received[kind]:>9} {self.unexpected[kind]:>11}"
            )
        return "\n".join(lines)


def _order(kind: str) -> tuple[int, str]:
    """Requests in call order first, then responses by code (SIPp's screen reads so)."""
    order = ("INVITE", "ACK", "BYE", "CANCEL")
    if kind in order:
        return (order.index(kind), kind)
    return (10 if kind.isdigit() else 5, kind)
