"""Per-call capture of the SIP messages the stack sends and receives: the console's ladder
(issue #16) is drawn from these, not from milestones.

:class:`SipStack` hands every message it sends or receives to :meth:`WireCapture.record` when a
capture is installed (``[admin] ladder_messages`` > 0; off by default, so the hot path pays one
``is None`` test per message). A message is summarised, not kept: direction, wall-clock time,
method or status, peer ``host:port``, transport, the first line and the headers a ladder needs
(RFC 3261 §7.3.3 compact forms understood), each cut to :data:`MAX_VALUE` characters.

Summaries go to the sink :meth:`attached <WireCapture.attach>` to their Call-ID: the call
application attaches each leg's :class:`~tas.calls.journal.CallJournal`, which writes them as
``sip`` milestones in its batched commits. Messages of a Call-ID with no sink yet (the INVITE
that creates the leg, the 100 Trying sent before the application sees it) wait, for
INVITE-dialog methods only, in a pending buffer. Memory is bounded: at most ``per_call``
summaries per Call-ID, at most ``calls`` Call-IDs pending and ``calls`` sinks (least recently
used dropped first).
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tas.sip.transaction_base import Peer

__all__ = ["MAX_VALUE", "WireCapture", "WireMessage", "WireSink"]

#: Longest header value (and first line) kept, in characters.
MAX_VALUE = 160
#: Headers kept, by lower-case name (compact forms mapped, RFC 3261 §7.3.3).
_KEPT = {"via": "Via", "v": "Via", "from": "From", "f": "From", "to": "To", "t": "To",
         "call-id": "Call-ID", "i": "Call-ID", "cseq": "CSeq", "contact": "Contact",
         "m": "Contact", "reason": "Reason", "rseq": "RSeq", "rack": "RAck"}  # fmt: skip
_JSON = json.JSONEncoder(separators=(",", ":"))
#: Methods whose messages may wait for their leg's sink (the call's own dialog).
_CALL_METHODS = frozenset({"INVITE", "ACK", "BYE", "CANCEL", "PRACK", "UPDATE", "INFO"})


@dataclass(frozen=True, slots=True)
class WireMessage:
    """One SIP message as the ladder shows it. ``label`` is the method of a request or the
    status code of a response; ``headers`` are (name, value) in message order, the first Via
    only."""

    at: float  # wall clock, seconds since the epoch
    direction: str  # "in" (received) or "out" (sent)
    transport: str
    peer: str  # host:port
    label: str
    first_line: str
    headers: tuple[tuple[str, str], ...]

    def to_detail(self) -> str:
        """The JSON a ``sip`` milestone stores (:meth:`from_detail` reads it back)."""
        fields = {name: getattr(self, name) for name in self.__slots__}  # not asdict: 5x slower
        return _JSON.encode(fields)

    @classmethod
    def from_detail(cls, detail: str) -> WireMessage:
        data = json.loads(detail)
        data["headers"] = tuple((str(n), str(v)) for n, v in data["headers"])
        return cls(**data)


class WireSink(Protocol):
    def wire(self, message: WireMessage) -> None:
        """Keep ``message`` (the call's journal writes it with the call's records)."""


def summarise(
    direction: str, data: bytes, peer: Peer, at: float
) -> tuple[str | None, str | None, WireMessage]:
    """(Call-ID, CSeq method, summary) of one whole message's bytes."""
    end = data.find(b"\r\n\r\n")
    lines = data[: end if end >= 0 else len(data)].decode("utf-8", "replace").split("\r\n")
    first = lines[0]
    headers: list[tuple[str, str]] = []
    call_id = method = None
    seen_via = False
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        kept = _KEPT.get(name.strip().lower()) if colon else None
        if kept is None or (kept == "Via" and seen_via):
            continue
        value = value.strip()
        seen_via = seen_via or kept == "Via"
        if kept == "Call-ID":
            call_id = value
        elif kept == "CSeq":
            method = value.rpartition(" ")[2].upper()
        headers.append((kept, value[:MAX_VALUE]))
    if first.startswith("SIP/2.0 "):
        label = first[8:11]
    else:
        label = first.partition(" ")[0]
    message = WireMessage(
        at=at,
        direction=direction,
        transport=peer.transport,
        peer=f"{peer.host}:{peer.port}",
        label=label,
        first_line=first[:MAX_VALUE],
        headers=tuple(headers),
    )
    return call_id, method, message


@dataclass(slots=True)
class _Attached:
    sink: WireSink
    count: int = 0  # summaries given so far


class WireCapture:
    """Summaries of the messages of each call, to its sink; see the module docstring."""

    def __init__(
        self, per_call: int, calls: int = 1000, clock: Callable[[], float] = time.time
    ) -> None:
        self.per_call, self.calls, self.clock = per_call, calls, clock
        self._sinks: OrderedDict[str, _Attached] = OrderedDict()
        self._pending: OrderedDict[str, list[WireMessage]] = OrderedDict()
        self.dropped = 0  # summaries not kept: over per_call, or their pending entry evicted

    def record(self, direction: str, data: bytes, peer: Peer) -> None:
        """One message the stack sent (``out``) or received (``in``)."""
        call_id, method, message = summarise(direction, data, peer, self.clock())
        if call_id is None:
            return
        entry = self._sinks.get(call_id)
        if entry is not None:
            self._sinks.move_to_end(call_id)
            self._give(entry, message)
            return
        if method not in _CALL_METHODS:
            return
        waiting = self._pending.get(call_id)
        if waiting is None:
            waiting = self._pending[call_id] = []
            if len(self._pending) > self.calls:
                self.dropped += len(self._pending.popitem(last=False)[1])
        if len(waiting) < self.per_call:
            waiting.append(message)
        else:
            self.dropped += 1

    def attach(self, call_id: str, sink: WireSink) -> None:
        """From now on ``call_id``'s messages go to ``sink`` (those waiting first)."""
        entry = self._sinks[call_id] = _Attached(sink)
        if len(self._sinks) > self.calls:
            self._sinks.popitem(last=False)
        for message in self._pending.pop(call_id, ()):
            self._give(entry, message)

    def _give(self, entry: _Attached, message: WireMessage) -> None:
        if entry.count >= self.per_call:
            self.dropped += 1
            return
        entry.count += 1
        entry.sink.wire(message)
