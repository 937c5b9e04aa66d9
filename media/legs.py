"""Pick the right kind of media leg for an offer, so the call application does not have to.

Plain ``RTP/AVP`` offers get a :class:`~media.session.MediaSession` (the fast path);
DTLS-SRTP offers (``UDP/TLS/RTP/SAVPF``, the operator SBC's "WebRTC style") get a
:class:`~media.webrtc.WebRtcSession`. Both have the same play/record/DTMF/close methods; renegotiation is synchronous on the plain
leg and a coroutine on the WebRTC one, so the functions below await either.
"""

from __future__ import annotations

from media.sdp import SessionDescription
from media.session import MediaEngine, MediaSession
from media.webrtc import WebRtcSession, is_webrtc_offer

__all__ = [
    "CallMedia",
    "answer_offer",
    "apply_media_answer",
    "offer_media",
    "reoffer",
    "update_media",
]

CallMedia = MediaSession | WebRtcSession


async def answer_offer(
    engine: MediaEngine, offer: str | bytes, direction: str = "sendrecv"
) -> tuple[CallMedia, str]:
    """Answer ``offer`` with the matching leg; returns (session, answer SDP).

    Raises :class:`~media.errors.SdpError`, :class:`~media.errors.OfferAnswerError` (488)
    or :class:`~media.errors.MediaError` when the offer cannot be accepted.
    """
    if is_webrtc_offer(SessionDescription.parse(offer)):
        return await WebRtcSession.create(offer)
    return await MediaSession.create(engine, offer, direction)


async def offer_media(
    engine: MediaEngine, webrtc: bool = False, direction: str = "sendrecv"
) -> tuple[CallMedia, str]:
    """Make an offer for an outgoing leg: plain RTP/AVP, or DTLS-SRTP when ``webrtc``.
    Pass the peer's answer to ``await session.apply_answer(answer)``."""
    if webrtc:
        return await WebRtcSession.create_offer()
    return await MediaSession.create_offer(engine, direction)


async def update_media(session: CallMedia, offer: str | bytes, direction: str | None = None) -> str:
    """Answer a re-offer from the peer (re-INVITE: hold, resume, new address) on either leg."""
    if isinstance(session, WebRtcSession):
        return await session.update(offer, direction)
    return session.update(offer, direction)


async def reoffer(session: CallMedia, direction: str | None = None) -> str:
    """Our own re-offer on either leg (``"sendonly"`` to hold, ``"sendrecv"`` to resume)."""
    if isinstance(session, WebRtcSession):
        return await session.offer(direction)
    return session.offer(direction)


async def apply_media_answer(session: CallMedia, answer: str | bytes) -> None:
    """Apply the peer's answer to our (re-)offer on either leg."""
    if isinstance(session, WebRtcSession):
        await session.apply_answer(answer)
    else:
        session.apply_answer(answer)
