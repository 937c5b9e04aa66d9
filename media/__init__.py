"""Media engine: RTP/RTCP, SDP offer/answer, codecs, DTMF, tones, WAV, player/recorder.

``CallMedia`` is the protocol both kinds of call leg meet. The WebRTC-style leg
(``WebRtcSession``, ``answer_offer``, ``offer_media``) and the Opus
export are imported on first use: aiortc and PyAV take a second to import and the plain
RTP path does not need them.
"""

from typing import TYPE_CHECKING

from media.call_media import CallMedia
from media.codecs import CODECS, PCMA, PCMU, Codec, get_codec
from media.dtmf import DtmfDigit, DtmfReceiver, TelephoneEvent, dtmf_payloads
from media.endpoint import RtpEndpoint
from media.errors import MediaError, OfferAnswerError, PacketError, SdpError, WavError
from media.jitter import InterarrivalJitter, JitterBuffer
from media.offer_answer import (
    LocalMedia,
    NegotiatedMedia,
    apply_answer,
    create_answer,
    create_offer,
)
from media.pacer import Pacer
from media.player import Player
from media.ports import PortPool
from media.recorder import Recorder, RecordingResult
from media.recording import Recording
from media.rtcp import parse_compound, serialize_compound
from media.rtp import RtpPacket
from media.sdp import Connection, MediaDescription, Origin, SessionDescription
from media.session import MediaEngine, MediaSession
from media.silence import SilenceDetector
from media.stream import RtpReceiver, RtpSender, RtpStats
from media.tones import beep, busy, dominant_frequency, goertzel_power, ringback, tone, tone_ratio
from media.wav import WavAudio, WavWriter, read_wav, write_wav

if TYPE_CHECKING:
    from media.export import export_opus
    from media.legs import answer_offer, offer_media
    from media.webrtc import WebRtcSession, is_webrtc_offer

_LAZY = {
    "answer_offer": "media.legs",
    "offer_media": "media.legs",
    "WebRtcSession": "media.webrtc",
    "is_webrtc_offer": "media.webrtc",
    "export_opus": "media.export",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'media' has no attribute {name!r}")


__all__ = [
    "CODECS",
    "PCMA",
    "PCMU",
    "CallMedia",
    "Codec",
    "Connection",
    "DtmfDigit",
    "DtmfReceiver",
    "InterarrivalJitter",
    "JitterBuffer",
    "LocalMedia",
    "MediaDescription",
    "MediaEngine",
    "MediaError",
    "MediaSession",
    "NegotiatedMedia",
    "OfferAnswerError",
    "Origin",
    "Pacer",
    "PacketError",
    "Player",
    "PortPool",
    "Recorder",
    "Recording",
    "RecordingResult",
    "RtpEndpoint",
    "RtpPacket",
    "RtpReceiver",
    "RtpSender",
    "RtpStats",
    "SdpError",
    "SessionDescription",
    "SilenceDetector",
    "TelephoneEvent",
    "WavAudio",
    "WavError",
    "WavWriter",
    "WebRtcSession",
    "answer_offer",
    "apply_answer",
    "beep",
    "busy",
    "create_answer",
    "create_offer",
    "dominant_frequency",
    "dtmf_payloads",
    "export_opus",
    "get_codec",
    "goertzel_power",
    "is_webrtc_offer",
    "offer_media",
    "parse_compound",
    "read_wav",
    "ringback",
    "serialize_compound",
    "tone",
    "tone_ratio",
    "write_wav",
]
