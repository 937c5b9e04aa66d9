"""Key 3 of the mailbox menu, "call back": the TAS calls the message's caller for the
subscriber and connects the two (issue #15).

Which numbers may be called back is the menu's decision (:class:`~tas.voicemail.menu.MailboxMenu`:
a known, E.164 caller); this module places the call. It goes to the operator core that sent the
mailbox call, on the same connection (:func:`~tas.calls.forward.plan_forward`'s "back to the
core"), as an INGRESS call: no ``Session-ID`` of the mailbox call, so the core routes it as a
new call the TAS places (wgtwo-api.md §3), From the subscriber's number. Its record is linked
to the mailbox call's: the same ``session_id`` (so both legs share one timeline,
:mod:`tas.events.correlate`; a mailbox call that came without a Session-ID gets a new one) and a ``call-back`` milestone on each naming the other's Call-ID.

The subscriber hears "calling back", then ringing; when the called party answers, the two are
bridged (:func:`tas.calls.bridged.bridge`, our media relay) until either hangs up, which ends
both. A failure (busy, declined, 403 from the core, no answer in :data:`RING_TIMEOUT` s, a leg
the relay cannot carry) returns False and the menu goes on.
"""

from __future__ import annotations

import logging
import uuid

from media.errors import MediaError
from media.session import MediaSession
from tas.calls.bridged import NewJournal, bridge, place, wait_answer
from tas.calls.forward import plan_forward
from tas.calls.leg import AnsweredLeg
from tas.calls.records import CallRow
from tas.logs import log_event
from tas.sip.errors import SipError
from tas.sip.uri import SipURI

__all__ = ["RING_TIMEOUT", "call_back"]

log = logging.getLogger(__name__)

#: Seconds the called-back party may ring before the call-back is given up (CANCEL).
RING_TIMEOUT = 30.0


async def call_back(
    leg: AnsweredLeg,
    mailbox: str,
    number: str,
    new_journal: NewJournal,
    ring_timeout: float = RING_TIMEOUT,
) -> bool:
    """Call ``number`` for ``mailbox``'s subscriber on the mailbox call ``leg``; True when they
    were connected (the mailbox call is over once this returns), False when the call-back
    failed (nothing changed on ``leg``)."""
    journal, a_media = leg.journal, leg.session
    if not isinstance(a_media, MediaSession) or a_media.negotiated is None:
        journal.note("call-back-failed", f"{number}: this leg's media cannot be relayed")
        return False
    plan = plan_forward(leg.call, leg.call.invite, journal.record, number)
    if not isinstance(plan.uri, SipURI) or plan.peer is None:
        journal.note("call-back-failed", f"{number}: not a number the core can route")
        return False
    host = plan.uri.host
    if journal.record.session_id is None:  # e.g. a direct leg: link the two legs anyway
        journal.update(session_id=uuid.uuid4().hex)

    def record(call_id: str) -> CallRow:
        return CallRow(
            sip_call_id=call_id,
            session_id=journal.record.session_id,
            direction="out",
            route="ingress",
            caller=mailbox,
            callee=number,
            subscriber=mailbox,
            action="call-back",
        )

    try:
        b, b_media = await place(
            leg.stack, leg.engine, plan.uri, plan.peer, from_uri=f"sip:{mailbox}@{host}",
            codecs=(a_media.negotiated.codec,), record=record, new_journal=new_journal,
        )  # fmt: skip
    except (MediaError, SipError) as exc:
        log_event(log, "call_back_failed", call_id=leg.call.call_id, error=exc)
        journal.note("call-back-failed", f"{number}: {exc}")
        return False
    journal.note("call-back", f"{number} as {b.call.call_id}")
    b.journal.note("call-back", f"for mailbox call {leg.call.call_id}")
    try:
        answered = await leg.race(wait_answer(a_media, b, b_media, ring_timeout))
        if not answered:
            journal.note("call-back-failed", f"{number}: {b.status or 'no answer'}")
            return False
        try:
            await bridge(leg, a_media, journal, b, b_media)
        except MediaError as exc:  # e.g. the far end answered with another codec
            journal.note("call-back-failed", f"{number}: {exc}")
            return False
        return True
    finally:
        await b.finish()
        await b_media.close()
        await b.journal.close()
