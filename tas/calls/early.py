"""Listeners the call application gives a call before (and instead of) a flow.

:class:`EarlyEvents` holds a new leg's events while the application decides what to do with it
(registration lookup, policy); :meth:`CallApp._attach` replays them into the flow's listener.
:data:`DONE` is the listener of a leg already answered for good (rejected, refused at the gate):
its remaining events (the ACK of our final response, a late CANCEL) need nothing more.
"""

from __future__ import annotations

from tas.sip.events import Event
from tas.sip.listener import CallListener

__all__ = ["DONE", "EarlyEvents"]


class EarlyEvents:
    """A call's events, kept in order until its listener is known."""

    __slots__ = ("events",)

    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)

    def replay(self, listener: CallListener) -> None:
        """Hand everything held to ``listener``, oldest first."""
        events, self.events = self.events, []
        for event in events:
            listener.on_event(event)


class _Done:
    """Drops the events of a call nothing more is done with."""

    __slots__ = ()

    def on_event(self, event: Event) -> None:
        pass


DONE: CallListener = _Done()
