"""An in-memory network of sans-IO endpoints on a virtual clock (DESIGN principle 7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tas.sip.endpoint import Endpoint, EndpointConfig
from tas.sip.events import Event
from tas.sip.transaction_base import Peer

ALICE = ("127.0.0.1", 5061)
BOB = ("127.0.0.1", 5060)


class Net:
    """Delivers every endpoint's outbox to the endpoint listening at the destination."""

    def __init__(self, transport: str = "UDP") -> None:
        self.now = 0.0
        self.transport = transport
        self.endpoints: dict[tuple[str, int], Endpoint] = {}
        self.events: dict[tuple[str, int], list[Event]] = {}
        self.wire: list[tuple[float, tuple[str, int], tuple[str, int], bytes]] = []
        self.drop: Callable[[bytes], bool] = lambda data: False

    def add(self, addr: tuple[str, int], **options: Any) -> Endpoint:
        ep = Endpoint(EndpointConfig(local={self.transport: addr}, **options))
        self.endpoints[addr] = ep
        self.events[addr] = []
        return ep

    def pump(self) -> None:
        moved = True
        while moved:
            moved = False
            for addr, ep in self.endpoints.items():
                self.events[addr] += ep.take_events()
                for data, peer in ep.take_outbox():
                    moved = True
                    dest = (peer.host, peer.port)
                    self.wire.append((self.now, addr, dest, data))
                    if self.drop(data) or dest not in self.endpoints:
                        continue
                    conn = 1 if self.transport != "UDP" else None
                    self.endpoints[dest].receive(data, Peer(peer.transport, *addr, conn), self.now)
            for addr, ep in self.endpoints.items():
                self.events[addr] += ep.take_events()

    def advance(self, end: float) -> None:
        self.pump()
        while True:
            deadlines = [
                d for ep in self.endpoints.values() if (d := ep.next_deadline()) is not None
            ]
            if not deadlines or min(deadlines) > end:
                break
            self.now = min(deadlines)
            for ep in self.endpoints.values():
                ep.handle_timer(self.now)
            self.pump()
        self.now = end

    def take(self, addr: tuple[str, int]) -> list[Event]:
        events = self.events[addr]
        self.events[addr] = []
        return events

    def sent(self, start: bytes, src: tuple[str, int] | None = None) -> list[float]:
        return [
            round(t, 3)
            for t, s, _, data in self.wire
            if data.startswith(start) and (src is None or s == src)
        ]
