"""The Call state table (tas.sip.call_state, RFC 3261 §9, §13-§15): every legal transition,
every illegal one raising, and the paths real call flows take on the virtual clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tas.sip import call_state
from tas.sip.call import Call
from tas.sip.call_state import TRANSITIONS, CallEvent, CallState, next_state
from tas.sip.errors import LocalProtocolError
from tas.sip.events import CallFailed, IncomingCall
from tas.sip.transaction_base import Peer
from tests.unit.sip.sip_helpers import SDP, request
from tests.unit.sip.ua_net import ALICE, BOB, Net

S, E = CallState, CallEvent
BOB_URI = "sip:bob@127.0.0.1:5060"

#: the table as the module docstring states it, written out by hand
_ANY_DIALOG = {E.RECV_BYE: S.ENDED, E.BYE_DONE: S.ENDED, E.NO_ACK: S.ENDED}
_ERR = {E.TRANSPORT_ERROR: S.ENDED}
#: UPDATE and session refresh in a confirmed dialog (RFC 3311, RFC 4028 §10)
_REFRESH = {E.RECV_UPDATE: S.CONFIRMED, E.SEND_UPDATE: S.CONFIRMED,
            E.SESSION_REFRESHED: S.CONFIRMED, E.SESSION_EXPIRED: S.ENDING}  # fmt: skip
EXPECTED = {
    "uas": {
        S.INCOMING: {E.SEND_1XX: S.EARLY, E.SEND_2XX: S.ANSWERED, E.SEND_FAILURE: S.ENDED,
                     E.RECV_CANCEL: S.ENDED, **_ANY_DIALOG, **_ERR},
        S.EARLY: {E.SEND_1XX: S.EARLY, E.SEND_2XX: S.ANSWERED, E.SEND_FAILURE: S.ENDED,
                  E.RECV_CANCEL: S.ENDED, E.RECV_PRACK: S.EARLY, E.PRACK_TIMEOUT: S.ENDED,
                  E.RECV_UPDATE: S.EARLY, E.SEND_UPDATE: S.EARLY, **_ANY_DIALOG, **_ERR},
        S.ANSWERED: {E.RECV_ACK: S.CONFIRMED, E.RECV_PRACK: S.ANSWERED, **_ANY_DIALOG, **_ERR},
        S.CONFIRMED: {E.SEND_BYE: S.ENDING, E.RECV_PRACK: S.CONFIRMED, **_REFRESH,
                      **_ANY_DIALOG, **_ERR},
        S.ENDING: {**_ANY_DIALOG, **_ERR},
        S.ENDED: {},
    },
    "uac": {
        S.CALLING: {E.RECV_1XX: S.EARLY, E.SEND_CANCEL: S.CANCELLING, E.RECV_2XX: S.CONFIRMED,
                    E.RECV_FAILURE: S.ENDED, **_ERR},
        S.EARLY: {E.RECV_1XX: S.EARLY, E.SEND_CANCEL: S.CANCELLING, E.RECV_2XX: S.CONFIRMED,
                  E.RECV_FAILURE: S.ENDED, E.SEND_PRACK: S.EARLY, E.RECV_UPDATE: S.EARLY,
                  E.SEND_UPDATE: S.EARLY, **_ANY_DIALOG, **_ERR},
        S.CANCELLING: {E.RECV_1XX: S.CANCELLING, E.RECV_2XX: S.CONFIRMED,
                       E.RECV_FAILURE: S.ENDED, E.SEND_PRACK: S.CANCELLING, **_ERR},
        S.CONFIRMED: {E.SEND_BYE: S.ENDING, **_REFRESH, **_ANY_DIALOG, **_ERR},
        S.ENDING: {**_ANY_DIALOG, **_ERR},
        S.ENDED: {},
    },
}  # fmt: skip

LEGAL = [
    (role, state, event, new)
    for role, table in EXPECTED.items()
    for state, moves in table.items()
    for event, new in moves.items()
]
ILLEGAL = [
    (role, state, event)
    for role, table in EXPECTED.items()
    for state in table
    for event in CallEvent
    if event not in table[state]
]


def new_call(role: str, state: CallState) -> Call:
    invite = request("INVITE", body=SDP)
    call = Call(role, invite, Peer("UDP", "127.0.0.1", 5061), "lt1")
    call._state = state  # a test may start anywhere in the table
    return call


def test_table_is_exactly_the_documented_one() -> None:
    assert TRANSITIONS == EXPECTED


def test_every_state_is_documented() -> None:
    doc = call_state.__doc__ or ""
    for state in CallState:
        assert f"    {state.value} " in doc, state
    for event in CallEvent:
        assert event.value in doc, event


def test_new_calls_start_incoming_or_calling() -> None:
    invite = request("INVITE", body=SDP)
    peer = Peer("UDP", "127.0.0.1", 5061)
    assert Call("uas", invite, peer, "t").state == "incoming"
    assert Call("uac", invite, peer, "t").state == "calling"


@pytest.mark.parametrize(("role", "state", "event", "new"), LEGAL)
def test_legal_transition(role: str, state: CallState, event: CallEvent, new: CallState) -> None:
    call = new_call(role, state)
    assert call.transition(event) is new
    assert call.state == new.value and call.ended is (new is S.ENDED)
    assert next_state(role, state.value, event) is new


@pytest.mark.parametrize(("role", "state", "event"), ILLEGAL)
def test_illegal_transition_raises(role: str, state: CallState, event: CallEvent) -> None:
    call = new_call(role, state)
    with pytest.raises(LocalProtocolError):
        call.transition(event)
    assert call.state is state


def test_unknown_state_or_role_raises() -> None:
    with pytest.raises(LocalProtocolError):
        next_state("uas", "ringing", E.SEND_2XX)
    with pytest.raises(LocalProtocolError):
        next_state("b2bua", "incoming", E.SEND_2XX)


def test_the_only_state_write_is_the_transition() -> None:
    call = new_call("uas", S.INCOMING)
    with pytest.raises(AttributeError):
        call.state = "confirmed"  # type: ignore[misc]


# -- the paths call flows take, on the virtual clock ---------------------------------------------


@pytest.fixture
def moves(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, str, str]]]:
    """Every transition any call makes: (role, from, event, to)."""
    seen: list[tuple[str, str, str, str]] = []
    original = Call.transition

    def recording(self: Call, event: CallEvent) -> CallState:
        before = self.state
        after = original(self, event)
        seen.append((self.role, before.value, event.value, after.value))
        return after

    monkeypatch.setattr(Call, "transition", recording)
    yield seen


def pair() -> Net:
    net = Net()
    net.add(ALICE)
    net.add(BOB)
    return net


def incoming(net: Net) -> Call:
    (event,) = [e for e in net.take(BOB) if isinstance(e, IncomingCall)]
    return event.call


def of(moves: list[tuple[str, str, str, str]], role: str) -> list[str]:
    return [f"{a}-{event}->{b}" for r, a, event, b in moves if r == role]


def test_ring_answer_ack_bye(moves: list[tuple[str, str, str, str]]) -> None:
    net = pair()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = incoming(net)
    bob.ring(call_b, net.now)
    net.pump()
    bob.answer(call_b, SDP, net.now)
    net.pump()
    bob.bye(call_b, net.now)
    net.pump()
    assert call_a.ended and call_b.ended
    assert of(moves, "uas") == [
        "incoming-send_1xx->early",
        "early-send_2xx->answered",
        "answered-recv_ack->confirmed",
        "confirmed-send_bye->ending",
        "ending-bye_done->ended",
    ]
    assert of(moves, "uac") == [
        "calling-recv_1xx->early",
        "early-recv_2xx->confirmed",
        "confirmed-recv_bye->ended",
    ]


def test_reject_and_cancel(moves: list[tuple[str, str, str, str]]) -> None:
    net = pair()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    bob.reject(incoming(net), 486, net.now)
    net.pump()
    assert of(moves, "uas") == ["incoming-send_failure->ended"]
    assert of(moves, "uac") == ["calling-recv_failure->ended"]
    moves.clear()
    call_a = alice.invite(BOB_URI, net.now, body=SDP)
    alice.cancel(call_a, net.now)  # before any provisional: held back (§9.1)
    assert call_a.state == "calling" and call_a.cancel_pending
    net.pump()
    call_b = incoming(net)
    bob.ring(call_b, net.now)
    net.pump()
    assert call_a.ended and call_b.ended and call_a.end_reason == "487"
    assert of(moves, "uas") == ["incoming-send_1xx->early", "early-recv_cancel->ended"]
    assert of(moves, "uac") == [
        "calling-recv_1xx->early",
        "early-send_cancel->cancelling",
        "cancelling-recv_failure->ended",
    ]


def test_2xx_crossing_our_cancel_is_acked_and_byed(
    moves: list[tuple[str, str, str, str]],
) -> None:
    net = pair()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = incoming(net)
    bob.ring(call_b, net.now)
    net.pump()
    alice.cancel(call_a, net.now)
    bob.answer(call_b, SDP, net.now)  # the 2xx is on the wire before the CANCEL arrives
    net.pump()
    assert call_a.ended and call_b.ended
    assert of(moves, "uac") == [
        "calling-recv_1xx->early",
        "early-send_cancel->cancelling",
        "cancelling-recv_2xx->confirmed",
        "confirmed-send_bye->ending",
        "ending-bye_done->ended",
    ]
    assert of(moves, "uas")[-2:] == ["answered-recv_ack->confirmed", "confirmed-recv_bye->ended"]


def test_no_ack_ends_after_64_t1(moves: list[tuple[str, str, str, str]]) -> None:
    net = pair()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = incoming(net)
    net.drop = lambda data: data.startswith(b"ACK")
    bob.answer(call_b, SDP, net.now)
    net.advance(31.9)
    assert call_b.state == "answered"
    net.advance(32.1)
    assert call_b.ended and call_b.end_reason == "no ACK"
    assert of(moves, "uas") == ["incoming-send_2xx->answered", "answered-no_ack->ended"]


def test_bye_while_answered_waits_for_the_ack(moves: list[tuple[str, str, str, str]]) -> None:
    net = pair()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = incoming(net)
    bob.answer(call_b, SDP, net.now)
    bob.bye(call_b, net.now)  # §15: the BYE waits for the ACK
    assert call_b.state == "answered" and call_b.bye_pending
    net.pump()
    assert call_b.ended
    assert of(moves, "uas") == [
        "incoming-send_2xx->answered",
        "answered-recv_ack->confirmed",
        "confirmed-send_bye->ending",
        "ending-bye_done->ended",
    ]


def test_reinvite_stays_confirmed(moves: list[tuple[str, str, str, str]]) -> None:
    net = pair()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = incoming(net)
    bob.answer(call_b, SDP, net.now)
    net.pump()
    moves.clear()
    alice.reinvite(call_a, SDP, net.now)
    net.pump()
    assert call_b.reinvite_in is not None and call_a.reinvite_out is not None
    bob.answer_reinvite(call_b, SDP, net.now)
    net.pump()
    assert call_a.reinvite_out is None and call_b.ok is None
    assert call_a.state == call_b.state == "confirmed" and moves == []


def test_timer_b_fails_the_call(moves: list[tuple[str, str, str, str]]) -> None:
    net = pair()
    alice = net.endpoints[ALICE]
    call = alice.invite("sip:nobody@127.0.0.9:5060", net.now, body=SDP)
    net.advance(40.0)
    assert call.ended and call.end_reason == "408"
    assert any(isinstance(e, CallFailed) for e in net.take(ALICE))
    assert of(moves, "uac") == ["calling-recv_failure->ended"]


def test_misuse_raises_and_leaves_the_state() -> None:
    net = pair()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = incoming(net)
    bob.answer(call_b, SDP, net.now)
    for misuse in (
        lambda: bob.ring(call_b, net.now),
        lambda: bob.answer(call_b, SDP, net.now),
        lambda: bob.reject(call_b, 486, net.now),
        lambda: bob.reinvite(call_b, SDP, net.now),
    ):
        with pytest.raises(LocalProtocolError):
            misuse()
        assert call_b.state == "answered"
    net.pump()
    with pytest.raises(LocalProtocolError):
        alice.cancel(call_a, net.now)
    assert call_a.state == "confirmed"


def test_the_endpoint_owns_the_2xx_timer_not_the_call() -> None:
    net = pair()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = incoming(net)
    net.drop = lambda data: data.startswith(b"ACK")
    bob.answer(call_b, SDP, net.now)
    assert not hasattr(call_b, "on_timer") and not hasattr(call_b, "endpoint")
    pending = call_b.ok
    assert pending is not None and pending.deadlines == {"2xx": 0.5}  # T1 (§13.3.1.4)
    net.advance(2.0)
    assert call_b.ok is pending and pending.deadlines == {"2xx": 3.5}  # 0.5, 1.5, 3.5
    net.drop = lambda data: False
    net.advance(3.5)  # the retransmission's ACK arrives
    assert call_b.ok is None and pending.deadlines == {} and call_b.state == "confirmed"
