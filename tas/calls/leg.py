"""One incoming leg the TAS answers itself (announcement, menu, voicemail): its SIP call, its
media session, its journal, and a way to race any step against the caller hanging up.

The leg is its call's listener (:mod:`tas.sip.listener`): the stack hands the call's events to
:meth:`AnsweredLeg.on_event`; the leg's flow runs as an asyncio task and acts through the
stack (:class:`~tas.calls.host.CallHost`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from media.call_media import CallMedia
from media.errors import MediaError, OfferAnswerError, SdpError
from media.offer_answer import NegotiatedMedia
from media.session import MediaEngine, MediaSession
from tas.calls.end_reason import describe, failure_reason, reasons_of
from tas.calls.host import CallHost
from tas.calls.journal import CallJournal
from tas.calls.records import Outcome, utcnow
from tas.calls.routing import LegInfo
from tas.logs import log_event
from tas.sip.call import Call
from tas.sip.errors import LocalProtocolError
from tas.sip.events import CallCancelled, CallConfirmed, CallEnded, ReInvite

__all__ = ["AnsweredLeg", "LegMedia", "MediaOpener", "open_rtp_media"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class LegMedia(CallMedia, Protocol):
    """:class:`~media.call_media.CallMedia` plus the synchronous offer/answer the leg uses on
    its SIP callbacks (re-INVITE, answer in the ACK), as :class:`MediaSession` has them."""

    negotiated: NegotiatedMedia | None

    def update(self, offer: str | bytes, direction: str | None = None) -> str: ...

    def apply_answer(self, answer: str | bytes) -> NegotiatedMedia: ...


#: Opens the leg's media: the caller's SDP offer (None: we offer, RFC 3264 §5) in, the session
#: and our SDP out. Raises :class:`~media.errors.MediaError` subclasses like MediaSession.
MediaOpener = Callable[[MediaEngine, bytes | None], Awaitable[tuple[LegMedia, str]]]


async def open_rtp_media(engine: MediaEngine, offer: bytes | None) -> tuple[LegMedia, str]:
    """The default :data:`MediaOpener`: a plain RTP :class:`MediaSession` on ``engine``."""
    if offer:
        return await MediaSession.create(engine, offer)
    return await MediaSession.create_offer(engine)


class AnsweredLeg:
    """A UAS leg handled with media by the TAS."""

    def __init__(
        self,
        stack: CallHost,
        engine: MediaEngine,
        call: Call,
        info: LegInfo | None,
        journal: CallJournal,
        open_media: MediaOpener = open_rtp_media,
    ) -> None:
        self.stack = stack
        self.engine = engine
        self.call = call
        self.info = info
        self.journal = journal
        self.session: LegMedia | None = None
        self._open_media = open_media
        self.ended = asyncio.Event()
        self.cancelled = False
        self._late_answer = False  # we offered in the 200 (delayed offer): answer in the ACK
        self.on_answered: Callable[[], None] | None = None  # called once the 200 is sent

    # -- events from the stack ------------------------------------------------------------------

    def on_event(self, event: object) -> None:
        ep, now = self.stack.endpoint, self.stack.now()
        if isinstance(event, CallCancelled):
            self.cancelled = True
            reasons = reasons_of(event.cancel)
            if any(r.answered_elsewhere for r in reasons):  # RFC 3326 §2: a losing fork
                self.journal.note("cancel", "answered elsewhere" + describe(reasons))
                self.journal.update(outcome=Outcome.ANSWERED_ELSEWHERE.value)
            else:
                self.journal.note("cancel", "caller cancelled before answer" + describe(reasons))
            self._mark_ended()
        elif isinstance(event, CallEnded):
            if event.by_remote:
                self.journal.note("bye", "caller hung up" + describe(reasons_of(event.request)))
            elif event.reason != "BYE":  # not our own BYE (hang_up noted that): no ACK, error
                self.journal.note("ended", event.reason)
            self._mark_ended()
        elif isinstance(event, CallConfirmed):
            self.journal.note("confirmed")
            if self._late_answer and self.session is not None and event.ack.body:
                self._late_answer = False
                with contextlib.suppress(MediaError):
                    self.session.apply_answer(event.ack.body)
        elif isinstance(event, ReInvite):
            session = self.session
            if session is None or not event.request.body:
                ep.answer_reinvite(self.call, self.call.local_sdp, now)
                return
            try:
                answer = session.update(event.request.body)
            except MediaError:
                ep.reject_reinvite(self.call, 488, now)
                return
            ep.answer_reinvite(self.call, answer.encode(), now)
            if session.negotiated is not None:  # RFC 3264 §8.4: hold is a direction change
                self.journal.note("reinvite", f"answered {session.negotiated.direction}")

    def _mark_ended(self) -> None:
        if not self.ended.is_set():
            self.journal.update(ended=utcnow())
            self.ended.set()
            if self.session is not None:
                self.session.stop_playback()

    # -- actions --------------------------------------------------------------------------------

    @property
    def is_ended(self) -> bool:
        return self.ended.is_set() or self.call.ended

    def ring(self) -> None:
        if self.call.state == "incoming":
            self.stack.endpoint.ring(self.call, self.stack.now())
            self.stack.flush()
            self.journal.note("ringing", "180 sent")

    def reject(
        self, status: int, reason: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """Final non-2xx, unless the caller already went away."""
        if self.call.state not in ("incoming", "early"):
            return
        self.stack.endpoint.reject(self.call, status, self.stack.now(), reason, headers=headers)
        self.stack.flush()
        self.journal.note("rejected", f"{status} {reason or ''}".strip())
        self.journal.update(outcome=Outcome.REJECTED.value, status=status, ended=utcnow())
        self.ended.set()

    async def answer(self, *, after_prack: bool = False) -> CallMedia | None:
        """Open media and send 200 OK; None when the caller left first, the SDP is unusable
        (then 488 was sent, RFC 3264 §6) or no RTP port pair is free (503 + Retry-After).
        ``after_prack``: the 200 waits for the PRACK of our reliable 180 (RFC 3262 §3)."""
        if self.session is not None:
            return self.session
        if self.is_ended:
            return None
        offer = self.call.remote_sdp
        try:
            # without an offer (RFC 3264 §5 via RFC 3261 §13.2.1) we offer in the 200 and
            # they answer in the ACK
            session, sdp = await self._open_media(self.engine, offer or None)
            self._late_answer = not offer
        except (OfferAnswerError, SdpError) as exc:
            log_event(log, "bad_offer", call_id=self.call.call_id, reason=exc)
            self.reject(488, "Not Acceptable Here")
            return None
        except MediaError as exc:  # e.g. every RTP port pair in use: try again shortly
            log_event(
                log,
                "media_unavailable",
                level=logging.WARNING,
                call_id=self.call.call_id,
                reason=exc,
            )
            self.reject(503, "Media Unavailable", {"Retry-After": "5"})
            return None
        if self.is_ended or self.call.state not in ("incoming", "early"):
            await session.close()
            return None
        self.session = session
        self.stack.endpoint.answer(
            self.call, sdp.encode(), self.stack.now(), after_prack=after_prack
        )
        self.stack.flush()
        held = self.call.state in ("incoming", "early")
        self.journal.note("answered", "200 held for the PRACK" if held else "200 sent")
        self.journal.update(status=200, answered=utcnow())
        if self.on_answered is not None:
            self.on_answered()
        return session

    async def early_media(self) -> CallMedia | None:
        """Media for a 183 Session Progress carrying our SDP answer, without answering (RFC
        3261 §13.3.1.1; early media as in RFC 3960 §3: nothing is charged); None when the
        offer is missing (no early media without one) or unusable, or the caller left. The
        leg then ends with a final non-2xx (:meth:`reject`)."""
        offer = self.call.remote_sdp
        if not offer or self.is_ended or self.call.state not in ("incoming", "early"):
            return None
        try:
            session, sdp = await self._open_media(self.engine, offer)
        except MediaError:
            return None
        if self.is_ended or self.call.state not in ("incoming", "early"):
            await session.close()
            return None
        self.session = session  # released by close() like an answered session
        self.stack.endpoint.ring(self.call, self.stack.now(), status=183, body=sdp.encode())
        self.stack.flush()
        self.journal.note("early-media", "183 sent")
        return session

    def hang_up(self, status: int = 480) -> None:
        """BYE (after answer) or ``status`` (before), if the call is still up. A BYE instead
        of a 5xx carries a Q.850 ``Reason`` (RFC 3326, :func:`failure_reason`)."""
        call, ep = self.call, self.stack.endpoint
        if call.ended or call.state == "ending":
            return
        try:
            if call.state in ("incoming", "early"):
                self.reject(status)
                return
            ep.bye(call, self.stack.now(), reason=failure_reason(status))
        except LocalProtocolError:
            return
        self.stack.flush()
        self.journal.note("bye", "tas hung up")

    async def race(self, step: Awaitable[_T]) -> _T | None:
        """Run ``step`` unless the caller hangs up first (then it is cancelled, None returned)."""
        task = asyncio.ensure_future(step)
        if self.is_ended:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, MediaError):
                await task
            return None
        ended = asyncio.ensure_future(self.ended.wait())
        try:
            await asyncio.wait({task, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, MediaError):
            await task
        return None

    async def close(self) -> None:
        """Release the media (finishing any recording) and flush the journal."""
        if self.session is not None:
            await self.session.close()
        await self.journal.close()
