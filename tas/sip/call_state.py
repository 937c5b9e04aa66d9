"""The INVITE dialog usage's state machine (RFC 3261 §13-§15, RFC 6026): one table, one step.

In the style of h11's ``_state.py``: every change of :attr:`tas.sip.call.Call.state` is an
(event, role, state) lookup in :data:`TRANSITIONS` made by :func:`next_state`; a pair the table
does not hold is our own misuse and raises :class:`~tas.sip.errors.LocalProtocolError`. The
UA core (``tas.sip.uas``, ``tas.sip.uac``, ``tas.sip.in_dialog``, ``tas.sip.ua_core``) moves a
call only through ``Call.transition(event)``.

States (``Call.state`` reads these strings)::

    incoming    UAS: INVITE received, nothing but 100 sent (§13.3.1)
    early       UAS: a 1xx with our To tag sent, early dialog (§13.3.1.1);
                UAC: a 1xx (other than 100) received (§13.2.2.1)
    answered    UAS: our 2xx sent, retransmitted until the ACK comes (§13.3.1.4, RFC 6026 §8.7)
    calling     UAC: INVITE sent, no provisional yet (§13.2.1); a CANCEL asked for now waits
                for the first provisional (§9.1, ``Call.cancel_pending``)
    cancelling  UAC: our CANCEL sent (§9.1), waiting for the INVITE's final response: a 487
                ends the call, a 2xx that crossed the CANCEL is ACKed and BYEd
    confirmed   either side: the dialog is confirmed (§12.1, §13.2.2.4, §13.3.1.4): the UAS got
                the ACK; the UAC got the 2xx and sent the ACK in the same step, so a caller
                never reads ``answered``. Re-INVITEs (§14) run inside ``confirmed``: the
                pending ones are ``Call.reinvite_in`` / ``Call.reinvite_out``, not states.
    ending      either side: our BYE sent, waiting for its final response (§15.1.1)
    ended       terminal: BYE done either way, CANCELled (§9.2), rejected by us (a final
                non-2xx, §13.3.1.3), failed (their non-2xx, Timer B, transport error), no ACK
                for our 2xx (§13.3.1.4). ``Call.end_reason`` says which.

UAS::

    incoming --send_1xx--> early --send_1xx--> early
    incoming|early --send_2xx--> answered --recv_ack--> confirmed
    incoming|early --send_failure (reject) | recv_cancel--> ended
    answered --no_ack--> ended                     (our 2xx never ACKed, §13.3.1.4)
    early|answered|confirmed --recv_prack--> (unchanged)   (RFC 3262 §3; after the 2xx: the
                                                   late PRACK of a 1xx it overtook)
    early --prack_timeout--> ended                 (no PRACK in 64*T1, 5xx sent, RFC 3262 §3)
    early --recv_update|send_update--> early       (UPDATE in the early dialog, RFC 3311 §5)

UAC::

    calling --recv_1xx--> early;  early|cancelling --recv_1xx--> (unchanged)
    calling|early --send_cancel--> cancelling
    calling|early|cancelling --recv_2xx--> confirmed   (ACK sent, §13.2.2.4; a crossed CANCEL
                                                        is followed by send_bye)
    calling|early|cancelling --recv_failure--> ended   (non-2xx final, Timer B, 503)
    early|cancelling --send_prack--> (unchanged)       (PRACK for a reliable 1xx, RFC 3262 §4)
    early --recv_update|send_update--> early       (UPDATE in the early dialog, RFC 3311 §5)

Both::

    confirmed --send_bye--> ending --bye_done--> ended
    any dialog state (incoming, early, answered, confirmed, ending):
        --recv_bye--> ended (§15.1.2);  --bye_done--> ended (also a BYE sent with
        ``Endpoint.request``);  --no_ack--> ended (the 2xx of a re-INVITE we answered, §14.2)
    any state but ended --transport_error--> ended
    confirmed --recv_update|send_update|session_refreshed--> confirmed  (RFC 3311, RFC 4028)
    confirmed --session_expired--> ending          (no refresh in time: BYE, RFC 4028 §10)
"""

from __future__ import annotations

from enum import StrEnum

from tas.sip.errors import LocalProtocolError

__all__ = ["CallState", "CallEvent", "TRANSITIONS", "next_state"]


class CallState(StrEnum):
    """What ``Call.state`` holds; equal to (and formatted as) the plain strings."""

    INCOMING = "incoming"
    EARLY = "early"
    ANSWERED = "answered"
    CALLING = "calling"
    CANCELLING = "cancelling"
    CONFIRMED = "confirmed"
    ENDING = "ending"
    ENDED = "ended"


class CallEvent(StrEnum):
    """What moves a call: something we sent or something that arrived."""

    SEND_1XX = "send_1xx"  # UAS: ring() (§13.3.1.1)
    SEND_2XX = "send_2xx"  # UAS: answer() (§13.3.1.4)
    SEND_FAILURE = "send_failure"  # UAS: reject() (§13.3.1.3)
    RECV_CANCEL = "recv_cancel"  # UAS: CANCEL of the pending INVITE, 487 sent (§9.2)
    RECV_ACK = "recv_ack"  # UAS: the ACK of our 2xx (§13.3.1.4)
    NO_ACK = "no_ack"  # either: 64*T1 without the ACK of our 2xx (§13.3.1.4)
    RECV_1XX = "recv_1xx"  # UAC: a provisional other than 100 (§13.2.2.1)
    SEND_CANCEL = "send_cancel"  # UAC: cancel() once a provisional arrived (§9.1)
    RECV_2XX = "recv_2xx"  # UAC: the first 2xx, ACKed (§13.2.2.4)
    RECV_FAILURE = "recv_failure"  # UAC: a final non-2xx, Timer B or a transport error (§13.2.2.3)
    SEND_BYE = "send_bye"  # either: bye() in a confirmed dialog (§15.1.1)
    BYE_DONE = "bye_done"  # either: our BYE got its final response or failed (§15.1.1)
    RECV_BYE = "recv_bye"  # either: their BYE, answered 200 (§15.1.2)
    TRANSPORT_ERROR = "transport_error"  # either: a transaction of the call could not send
    RECV_PRACK = "recv_prack"  # UAS: the PRACK of a reliable 1xx (RFC 3262 §3)
    PRACK_TIMEOUT = "prack_timeout"  # UAS: 64*T1 without that PRACK, 5xx sent (RFC 3262 §3)
    SEND_PRACK = "send_prack"  # UAC: PRACK for a reliable 1xx (RFC 3262 §4)
    RECV_UPDATE = "recv_update"  # either: an UPDATE answered (RFC 3311 §5.2)
    SEND_UPDATE = "send_update"  # either: an UPDATE sent (RFC 3311 §5.1)
    SESSION_REFRESHED = "session_refreshed"  # either: a refresh's 2xx (RFC 4028 §10)
    SESSION_EXPIRED = "session_expired"  # either: no refresh in time, BYE sent (RFC 4028 §10)


S, E = CallState, CallEvent
_DIALOG_STATES = (S.INCOMING, S.EARLY, S.ANSWERED, S.CONFIRMED, S.ENDING)

_UAS: dict[CallState, dict[CallEvent, CallState]] = {
    S.INCOMING: {E.SEND_1XX: S.EARLY, E.SEND_2XX: S.ANSWERED, E.SEND_FAILURE: S.ENDED,
                 E.RECV_CANCEL: S.ENDED},
    S.EARLY: {E.SEND_1XX: S.EARLY, E.SEND_2XX: S.ANSWERED, E.SEND_FAILURE: S.ENDED,
              E.RECV_CANCEL: S.ENDED, E.RECV_PRACK: S.EARLY, E.PRACK_TIMEOUT: S.ENDED,
              E.RECV_UPDATE: S.EARLY, E.SEND_UPDATE: S.EARLY},
    S.ANSWERED: {E.RECV_ACK: S.CONFIRMED, E.NO_ACK: S.ENDED, E.RECV_PRACK: S.ANSWERED},
    S.CONFIRMED: {E.SEND_BYE: S.ENDING, E.NO_ACK: S.ENDED, E.RECV_PRACK: S.CONFIRMED},
    S.ENDING: {},
    S.ENDED: {},
}  # fmt: skip

_UAC: dict[CallState, dict[CallEvent, CallState]] = {
    S.CALLING: {E.RECV_1XX: S.EARLY, E.SEND_CANCEL: S.CANCELLING, E.RECV_2XX: S.CONFIRMED,
                E.RECV_FAILURE: S.ENDED},
    S.EARLY: {E.RECV_1XX: S.EARLY, E.SEND_CANCEL: S.CANCELLING, E.RECV_2XX: S.CONFIRMED,
              E.RECV_FAILURE: S.ENDED, E.SEND_PRACK: S.EARLY, E.RECV_UPDATE: S.EARLY,
              E.SEND_UPDATE: S.EARLY},
    S.CANCELLING: {E.RECV_1XX: S.CANCELLING, E.RECV_2XX: S.CONFIRMED, E.RECV_FAILURE: S.ENDED,
                   E.SEND_PRACK: S.CANCELLING},
    S.CONFIRMED: {E.SEND_BYE: S.ENDING, E.NO_ACK: S.ENDED},
    S.ENDING: {},
    S.ENDED: {},
}  # fmt: skip

for _table in (_UAS, _UAC):
    for _state in _table:
        if _state in _DIALOG_STATES:  # a BYE in the dialog, either way, ends it (§15.1)
            _table[_state].setdefault(E.RECV_BYE, S.ENDED)
            _table[_state].setdefault(E.BYE_DONE, S.ENDED)
            _table[_state].setdefault(E.NO_ACK, S.ENDED)  # a re-INVITE's 2xx unACKed (§14.2)
        if _state is S.CONFIRMED:  # UPDATE and session refresh inside the dialog
            _table[_state].update({E.RECV_UPDATE: S.CONFIRMED, E.SEND_UPDATE: S.CONFIRMED,
                                   E.SESSION_REFRESHED: S.CONFIRMED,
                                   E.SESSION_EXPIRED: S.ENDING})  # fmt: skip
        if _state is not S.ENDED:
            _table[_state].setdefault(E.TRANSPORT_ERROR, S.ENDED)
del _table, _state

#: role ("uas" | "uac") -> state -> event -> new state: every legal transition, nothing else.
TRANSITIONS: dict[str, dict[CallState, dict[CallEvent, CallState]]] = {"uas": _UAS, "uac": _UAC}


def next_state(role: str, state: str, event: CallEvent) -> CallState:
    """The state ``event`` moves a ``role`` call in ``state`` to; LocalProtocolError if the
    table does not allow it."""
    try:  # a StrEnum member hashes and compares as its string: plain strings look up too
        return TRANSITIONS[role][state][event]  # type: ignore[index]
    except KeyError:
        raise LocalProtocolError(f"{role} call in state {state}: {event} is not allowed") from None
