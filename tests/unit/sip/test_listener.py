"""tas.sip.listener: a call's events go to its listener; new calls and requests to the user."""

from __future__ import annotations

from tas.sip.events import (
    CallAnswered,
    CallConfirmed,
    CallProgress,
    Event,
    IncomingCall,
    RequestCompleted,
    RequestReceived,
)
from tas.sip.listener import CallListener, listener_of
from tests.unit.sip.ua_net import ALICE, BOB, Net

SDP = b"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)


def test_call_events_go_to_the_listener_of_their_call() -> None:
    net = Net()
    alice, bob = net.add(ALICE), net.add(BOB)
    call = alice.invite("sip:bob@127.0.0.1:5060", 0.0, body=SDP)
    listener: CallListener = Recorder()
    call.listener = listener
    net.pump()
    (incoming,) = net.take(BOB)
    assert isinstance(incoming, IncomingCall)
    assert listener_of(incoming) is None  # a new call is for the stack's user
    bob.ring(incoming.call, net.now)
    net.pump()
    (ringing,) = net.take(ALICE)
    assert isinstance(ringing, CallProgress) and listener_of(ringing) is listener
    bob.answer(incoming.call, SDP, net.now)
    net.pump()
    (answered,) = net.take(ALICE)
    assert isinstance(answered, CallAnswered) and listener_of(answered) is listener
    (confirmed,) = net.take(BOB)
    assert isinstance(confirmed, CallConfirmed)
    assert listener_of(confirmed) is None  # nobody listens to bob's call: the user gets it


def test_requests_go_to_the_stack_user_even_in_a_call_with_a_listener() -> None:
    net = Net()
    alice, bob = net.add(ALICE), net.add(BOB)
    call = alice.invite("sip:bob@127.0.0.1:5060", 0.0, body=SDP)
    call.listener = Recorder()
    handle = alice.request(
        "MESSAGE", 0.0, uri="sip:bob@127.0.0.1:5060", body=b"hi", content_type="text/plain"
    )
    net.pump()
    received = [e for e in net.take(BOB) if isinstance(e, RequestReceived)]
    assert len(received) == 1 and listener_of(received[0]) is None
    bob.respond(received[0].transaction, 200, net.now)
    net.pump()
    done = [e for e in net.take(ALICE) if isinstance(e, RequestCompleted)]
    assert [e.handle for e in done] == [handle] and listener_of(done[0]) is None
