"""Who hears a call's events: the typed :class:`CallListener` slot of a :class:`~tas.sip.call.Call`.

The UA core queues events (:mod:`tas.sip.events`); whoever drains them (``SipStack.flush``, an
in-memory test network) hands each to :func:`listener_of` its call: every event that concerns
one call (every event carrying ``call`` except :class:`~tas.sip.events.IncomingCall`, which
creates it) goes to ``call.listener`` when one is set (:func:`deliver` does both). ``IncomingCall``, out-of-dialog requests
(:class:`~tas.sip.events.RequestReceived`), request results
(:class:`~tas.sip.events.RequestCompleted`) and the events of a call nobody listens to go to
the stack's user. A new per-call event type flows to the listener with no router to extend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tas.sip.events import Event, IncomingCall, RequestCompleted, RequestReceived

__all__ = ["CallListener", "deliver", "listener_of"]


class CallListener(Protocol):
    """The object a call's events go to (a B2BUA, an answered leg, an awaitable handle …)."""

    def on_event(self, event: Event) -> None: ...


def listener_of(event: Event) -> CallListener | None:
    """The listener of the call ``event`` concerns; None: the event is for the stack's user."""
    if isinstance(event, IncomingCall | RequestReceived | RequestCompleted):
        return None
    return event.call.listener


def deliver(event: Event, user: Callable[[Event], None]) -> None:
    """Hand ``event`` to its call's listener, else to ``user`` (the stack's user)."""
    listener = listener_of(event)
    if listener is not None:
        listener.on_event(event)
    else:
        user(event)
