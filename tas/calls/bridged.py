"""Calls the TAS places and connects to a leg it already holds, over its own media relay.

Used by the mailbox's key 3 "call back" (:mod:`tas.calls.callback`) and by
``tas originate NUMBER --bridge URI`` (:mod:`tas.calls.click_to_call`). Both hold one answered
leg (``a``) and place a second one (``b``); the media goes through :class:`media.relay.MediaRelay`
rather than RFC 3725 third-party call control: we already own ``a``'s RTP endpoint, so no
re-INVITE of ``a`` is needed (a peer that answers re-INVITEs badly, or a core that does not
relay them, cannot break the bridge), prompts can be played to ``a`` before and after, and a
failed ``b`` leaves ``a`` exactly as it was. The price is that the RTP goes through the TAS.

:func:`place` sends the INVITE (offering ``a``'s codec only, so no transcoding is ever needed)
and returns the new leg's :class:`~tas.calls.outbound.OutboundCall` and media;
:func:`wait_answer` waits for its answer while ``a`` hears a ringback tone (after whatever
prompt is queued); :func:`bridge` relays until either side ends (a BYE from either side ends
both, RFC 3261 §15.1.1 on the other leg).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Protocol

from media.errors import MediaError
from media.relay import MediaRelay, RelayCounts
from media.session import MediaEngine, MediaSession
from media.tones import ringback
from tas.calls.host import CallHost
from tas.calls.journal import CallJournal
from tas.calls.outbound import OutboundCall
from tas.calls.records import CallRow
from tas.sip.transaction_base import Peer
from tas.sip.uri import SipURI

__all__ = ["BridgeSide", "NewJournal", "bridge", "place", "wait_answer"]

#: Makes (and registers) the journal of a new leg's record.
NewJournal = Callable[[CallRow], CallJournal]


class BridgeSide(Protocol):
    """A leg that can be bridged: it tells when it ended and can be hung up."""

    ended: asyncio.Event

    def hang_up(self) -> None: ...


async def place(
    host: CallHost,
    engine: MediaEngine,
    uri: SipURI,
    peer: Peer,
    *,
    from_uri: str | None,
    codecs: tuple[str, ...],
    record: Callable[[str], CallRow],
    new_journal: NewJournal,
) -> tuple[OutboundCall, MediaSession]:
    """INVITE ``uri`` via ``peer`` offering ``codecs``; ``record(call_id)`` is the new leg's
    record. Raises :class:`~media.errors.MediaError` (no RTP port) or
    :class:`~tas.sip.errors.SipError` (unroutable) before anything is sent."""
    session, offer = await MediaSession.create_offer(engine, codecs=codecs)
    try:
        call = host.endpoint.invite(
            uri, host.now(), peer=peer, from_uri=from_uri, body=offer.encode()
        )
    except BaseException:
        await session.close()
        raise
    journal = new_journal(record(call.call_id))
    journal.note("invite", f"to {uri}")
    outbound = OutboundCall(host, call, journal)
    call.listener = outbound
    host.flush()
    return outbound, session


async def wait_answer(
    a_media: MediaSession, b: OutboundCall, b_media: MediaSession, ring_timeout: float
) -> bool:
    """:meth:`OutboundCall.wait_answer` of ``b`` while ``a`` hears ringing (425 Hz, 1 s on,
    4 s off: :func:`media.tones.ringback`), queued after any prompt ``a`` is hearing."""
    tone = asyncio.ensure_future(_ring(a_media, ring_timeout))
    try:
        return await b.wait_answer(b_media, ring_timeout)
    finally:
        if not tone.done():
            a_media.stop_playback()
        tone.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await tone


async def _ring(media: MediaSession, seconds: float) -> None:
    with contextlib.suppress(MediaError):  # e.g. the leg closed meanwhile
        await media.play(ringback(seconds))


async def bridge(
    a: BridgeSide,
    a_media: MediaSession,
    a_journal: CallJournal,
    b: OutboundCall,
    b_media: MediaSession,
) -> RelayCounts:
    """Relay ``a`` ⇄ ``b`` until one of them ends, then hang up the other; both journals get
    a ``bridged`` and a ``bridge-ended`` milestone. Raises :class:`~media.errors.MediaError`
    when the two legs cannot be relayed (then nothing was started)."""
    relay = MediaRelay(a_media, b_media)
    relay.start()
    a_journal.note("bridged", f"to {b.call.call_id}")
    b.journal.note("bridged", "to the held leg")
    a_ended = asyncio.ensure_future(a.ended.wait())
    b_ended = asyncio.ensure_future(b.ended.wait())
    try:
        await asyncio.wait({a_ended, b_ended}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in (a_ended, b_ended):
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
        relay.stop()
    first = "held leg" if a.ended.is_set() else "placed leg"
    counts = relay.counts
    detail = f"{first} hung up; relayed {counts.a_to_b} / {counts.b_to_a} packets"
    for journal in (a_journal, b.journal):
        journal.note("bridge-ended", detail)
    if a.ended.is_set():
        b.hang_up()
    else:
        a.hang_up()
    return counts
