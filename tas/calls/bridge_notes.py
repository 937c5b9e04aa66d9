"""What a forwarding bridge notes in its legs' call records: the one place for the journal
steps that the forward (:mod:`tas.calls.b2bua`), its RFC 3263 §4.3 failover
(:mod:`tas.calls.failover`) and follow-me (:mod:`tas.calls.rules_follow`) share.

The caller's leg is ``a``; an outgoing leg has its own journal (``out``).
"""

from __future__ import annotations

from tas.calls.journal import CallJournal
from tas.calls.records import Outcome, utcnow
from tas.sip.call import Call
from tas.sip.events import CallEnded

__all__ = ["note_answered", "note_cancelled", "note_ended", "note_failover", "note_placed"]


def note_placed(out: CallJournal, target: object) -> CallJournal:
    """An outgoing leg's INVITE went to ``target``."""
    out.note("invite", f"to {target}")
    return out


def note_answered(out: CallJournal, a: CallJournal, *, won: bool, by: str) -> None:
    """An outgoing leg answered; ``won``: its 2xx answered the caller (``by`` says who)."""
    out.note("answered")
    out.update(outcome=Outcome.FORWARDED.value, status=200, answered=utcnow())
    if won:
        a.note("answered", by)
        a.update(outcome=Outcome.FORWARDED.value, status=200, answered=utcnow())


def note_cancelled(a: CallJournal) -> None:
    """The caller CANCELled before an answer (487 went back)."""
    a.note("cancel", "caller cancelled")
    a.update(outcome=Outcome.ABANDONED.value, status=487, ended=utcnow())


def note_ended(event: CallEnded, a_leg: Call, a: CallJournal, out: CallJournal | None) -> None:
    """BYE (or a dead transport) on the caller's leg or on the outgoing leg of ``out``."""
    if event.call is a_leg:
        a.note("bye", f"{'caller' if event.by_remote else 'tas'}: {event.reason}")
        a.update(ended=utcnow())
    elif out is not None:
        out.note("bye", f"{'far end' if event.by_remote else 'tas'}: {event.reason}")
        out.update(ended=utcnow())


def note_failover(out: CallJournal, status: int) -> None:
    """This attempt failed with ``status`` and the next RFC 3263 target is tried (§4.3)."""
    out.note("failed", f"{status}; trying the next target (RFC 3263 §4.3)")
    out.update(outcome=Outcome.FAILED.value, status=status, ended=utcnow())
