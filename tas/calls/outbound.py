"""Calls the TAS places itself (the INGRESS route type, wgtwo-api.md §3): INVITE a registered
number through the operator core, play an announcement when it answers, hang up.

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
        self._ended = asyncio.Event()

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
            self._ended.set()
        elif isinstance(event, CallEnded):
            if event.by_remote:
                self.journal.note("bye", "far end hung up")
            self._ended.set()

    async def run(
        self, session: CallMedia, announcement: bytes | str | None, ring_timeout: float
    ) -> None:
        """Wait for the answer, play, hang up; records the outcome."""
        call, journal, ep = self.call, self.journal, self.stack.endpoint
        try:
            body = await asyncio.wait_for(asyncio.shield(self._final), ring_timeout)
        except TimeoutError:
            with contextlib.suppress(LocalProtocolError):
                ep.cancel(call, self.stack.now())
                self.stack.flush()
            journal.note("cancel", f"no answer within {ring_timeout:g} s")
            journal.update(outcome=Outcome.ABANDONED.value, ended=utcnow())
            return
        if body is None:
            journal.note("failed", str(self.status))
            journal.update(outcome=Outcome.REJECTED.value, status=self.status, ended=utcnow())
            return
        journal.note("answered")
        journal.update(outcome=Outcome.ANSWERED_BY_HANDSET.value, status=200, answered=utcnow())
        try:
            await session.accept_answer(body)
            journal.note("announcement", "default" if announcement is None else "custom")
            source = default_announcement() if announcement is None else announcement
            play = asyncio.ensure_future(session.play(source))
            ended = asyncio.ensure_future(self._ended.wait())
            await asyncio.wait({play, ended}, return_when=asyncio.FIRST_COMPLETED)
            ended.cancel()
            play.cancel()
        except MediaError as exc:
            log_event(log, "outbound_media_failed", call_id=call.call_id, error=exc)
        if call.state == "confirmed":
            ep.bye(call, self.stack.now())
            self.stack.flush()
            journal.note("bye", "tas hung up")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ended.wait(), 5.0)
        journal.update(ended=utcnow())


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
