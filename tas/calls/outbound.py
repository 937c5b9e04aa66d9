"""Calls the TAS places itself (the INGRESS route type, wgtwo-api.md §3): INVITE a registered
number through the operator core, play an announcement when it answers, hang up
(:meth:`OutboundCall.run`); or, for a call bridged to another leg (:mod:`tas.calls.bridged`),
just :meth:`~OutboundCall.wait_answer`, :meth:`~OutboundCall.hang_up` and
:meth:`~OutboundCall.finish`. An answer that crosses our CANCEL is hung up by ``finish``.

Outcome of the call's record: ``answered-by-handset`` when it was answered, ``rejected`` with
the status when it failed, ``abandoned`` when nobody answered within the ring timeout (CANCEL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from media.call_media import CallMedia
from media.errors import MediaError
from tas.calls.announce import default_announcement
from tas.calls.host import CallHost
from tas.calls.journal import CallJournal
from tas.calls.records import Outcome, utcnow
from tas.logs import log_event
from tas.sip.call import Call
from tas.sip.errors import LocalProtocolError
from tas.sip.events import CallAnswered, CallEnded, CallFailed, CallProgress

__all__ = ["OutboundCall"]

log = logging.getLogger(__name__)


class OutboundCall:
    """One call we place; its listener (tas.sip.listener): the call's events reach :meth:`on_event`."""

    def __init__(self, stack: CallHost, call: Call, journal: CallJournal) -> None:
        self.stack = stack
        self.journal = journal
        self.call = call
        self.status: int | None = None
        loop = asyncio.get_running_loop()
        self._final: asyncio.Future[bytes | None] = loop.create_future()
        self.ended = asyncio.Event()

    def on_event(self, event: object) -> None:
        if isinstance(event, CallProgress):
            self.journal.note("ringing" if event.response.status == 180 else "progress")
        elif isinstance(event, CallAnswered):
            self.status = 200
            if not self._final.done():
                self._final.set_result(event.response.body)
        elif isinstance(event, CallFailed):
            self.status = event.response.status
            if not self._final.done():
                self._final.set_result(None)
            self.ended.set()
        elif isinstance(event, CallEnded):
            if event.by_remote:
                self.journal.note("bye", "far end hung up")
            self.ended.set()

    async def wait_answer(self, session: CallMedia, ring_timeout: float) -> bool:
        """Wait for the final answer (CANCEL after ``ring_timeout``) and apply the SDP answer
        to ``session``; True when answered. Records the outcome either way."""
        call, journal = self.call, self.journal
        try:
            body = await asyncio.wait_for(asyncio.shield(self._final), ring_timeout)
        except TimeoutError:
            self.cancel(f"no answer within {ring_timeout:g} s")
            return False
        except asyncio.CancelledError:  # the flow gave up (e.g. the other party hung up)
            self.cancel("given up while ringing")
            raise
        if body is None:
            journal.note("failed", str(self.status))
            journal.update(outcome=Outcome.REJECTED.value, status=self.status, ended=utcnow())
            return False
        journal.note("answered")
        journal.update(outcome=Outcome.ANSWERED_BY_HANDSET.value, status=200, answered=utcnow())
        try:
            await session.accept_answer(body)
        except MediaError as exc:
            log_event(log, "outbound_media_failed", call_id=call.call_id, error=exc)
            self.hang_up()
            return False
        return True

    def cancel(self, why: str) -> None:
        """CANCEL the call while it rings (RFC 3261 §9.1); the outcome is ``abandoned``."""
        with contextlib.suppress(LocalProtocolError):
            self.stack.endpoint.cancel(self.call, self.stack.now())
            self.stack.flush()
        self.journal.note("cancel", why)
        self.journal.update(outcome=Outcome.ABANDONED.value, ended=utcnow())

    def hang_up(self) -> None:
        """BYE if the call is up (the far end's BYE is noted by :meth:`on_event`)."""
        if self.call.state == "confirmed":
            with contextlib.suppress(LocalProtocolError):
                self.stack.endpoint.bye(self.call, self.stack.now())
                self.stack.flush()
                self.journal.note("bye", "tas hung up")

    async def run(
        self, session: CallMedia, announcement: bytes | str | None, ring_timeout: float
    ) -> None:
        """Wait for the answer, play, hang up; records the outcome."""
        if await self.wait_answer(session, ring_timeout):
            try:
                self.journal.note("announcement", "default" if announcement is None else "custom")
                source = default_announcement() if announcement is None else announcement
                play = asyncio.ensure_future(session.play(source))
                ended = asyncio.ensure_future(self.ended.wait())
                await asyncio.wait({play, ended}, return_when=asyncio.FIRST_COMPLETED)
                ended.cancel()
                play.cancel()
            except MediaError as exc:
                log_event(log, "outbound_media_failed", call_id=self.call.call_id, error=exc)
        await self.finish()

    async def finish(self) -> None:
        """Hang up if still up, wait (5 s at most) for the call to end, note the end time."""
        if self.call.state == "confirmed":
            self.hang_up()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ended.wait(), 5.0)
        self.journal.update(ended=utcnow())


async def run_outbound(
    outbound: OutboundCall,
    session: CallMedia,
    announcement: bytes | str | None,
    ring_timeout: float,
    done: asyncio.Future[None],
) -> None:
    """Run a call we placed (``CallApp.originate``) to its end, then release its media and
    journal and resolve ``done``."""
    try:
        await outbound.run(session, announcement, ring_timeout)
    finally:
        await session.close()
        await outbound.journal.close()
        if not done.done():
            done.set_result(None)
