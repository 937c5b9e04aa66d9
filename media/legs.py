"""Pick the right kind of media leg for an offer, so the call application does not have to.

Plain ``RTP/AVP`` offers get a :class:`~media.session.MediaSession` (the fast path);
DTLS-SRTP offers (``UDP/TLS/RTP/SAVPF``, the operator SBC's "WebRTC style") get a
:class:`~media.webrtc.WebRtcSession`. Either is a :class:`~media.call_media.CallMedia`:
renegotiate, play, record, DTMF and close through that protocol, whichever leg it is.
"""

from __future__ import annotations

from media.call_media import CallMedia
from media.sdp import SessionDescription
from media.session import MediaEngine, MediaSession
from media.webrtc import WebRtcSession, is_webrtc_offer

__all__ = ["CallMedia", "answer_offer", "offer_media"]


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
    Pass the peer's answer to ``await session.accept_answer(answer)``."""
    if webrtc:
        return await WebRtcSession.create_offer()
    return await MediaSession.create_offer(engine, direction)
