"""The call application's view of media: one :class:`MediaSession` per call (asyncio).

UAS::

    engine = MediaEngine("127.0.0.1", 20000, 29999)
    session, answer_sdp = await MediaSession.create(engine, offer_sdp)
    await session.play(read_wav("greeting.wav"))
    recording = session.record("vm.wav", max_duration=120, min_duration=1, silence_timeout=5)
    result = await recording.wait()
    await session.close()

UAC: ``session, offer_sdp = await MediaSession.create_offer(engine)`` then
``session.apply_answer(answer_sdp)``. Re-INVITEs from the peer (hold/resume):
``session.update(offer_sdp)`` returns the answer; our own re-offer is
``session.offer("sendonly")`` then ``apply_answer``. These three are synchronous here; the
session also meets :class:`~media.call_media.CallMedia` (``reoffer``, ``answer_reoffer``,
``accept_answer``: the same, awaitable) for code that may hold either kind of leg.
SDP goes in and out as text; nothing here knows about SIP. RTCP reports are built by the pure
:class:`~media.rtcp.RtcpReporter`; this session only times them (RFC 3550 §6.2).

From the answer to close (except on hold) the session sends one RTP packet every ptime on
its own clock (:mod:`media.outbound`): prompts and DTMF when queued, G.711 silence or RFC 3389
comfort noise otherwise, so menus and recordings never leave the line without RTP.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import replace

from media.capture import CallCapture, CapturingLeg
from media.codecs import Codec, get_codec
from media.endpoint import RtpEndpoint
from media.engine import MediaEngine, offered_family
from media.errors import MediaError, OfferAnswerError
from media.offer_answer import (
    LocalMedia,
    NegotiatedMedia,
    apply_answer,
    create_answer,
    create_offer,
)
from media.outbound import OutboundStream
from media.player import Player
from media.recorder import RecordingResult
from media.rtcp import (
    RtcpBye,
    RtcpPacket,
    RtcpReceiverReport,
    RtcpReporter,
    RtcpSenderReport,
    SendingStats,
    serialize_compound,
)
from media.sdp import Origin, SessionDescription
from media.stream import RtpReceiver, RtpSender, RtpStats
from media.wav import WavAudio, read_wav

__all__ = ["MediaEngine", "MediaSession"]

_log = logging.getLogger(__name__)
RTCP_INTERVAL = 5.0  # RFC 3550 §6.2 minimum


class MediaSession(CapturingLeg):
    """Media of one call: RTP endpoint, player, recorder, DTMF, statistics (a
    :class:`~media.call_media.CallMedia`)."""

    def __init__(self, engine: MediaEngine, endpoint: RtpEndpoint) -> None:
        self.engine = engine
        self.endpoint = endpoint
        self.loop = endpoint.loop
        self.negotiated: NegotiatedMedia | None = None
        self.local_sdp: SessionDescription | None = None
        self.closed = False
        self._origin = Origin("tas", str(random.getrandbits(48)), "1", address=endpoint.host)
        self._direction = "sendrecv"
        self._codecs: tuple[str, ...] = ()  # () : the engine's
        self._pending_offer: SessionDescription | None = None
        self._out = OutboundStream(lambda: engine.pacer, endpoint.send_rtp)
        self._ssrc = self._out.ssrc
        self._receiver: RtpReceiver | None = None
        self._capture = CallCapture(self.loop, engine.files)
        self._rtcp = RtcpReporter(self._ssrc, f"tas@{endpoint.host}".encode())
        self._rtcp_timer: asyncio.TimerHandle | None = None
        endpoint.on_rtp = self._on_rtp
        endpoint.on_rtcp = self._on_rtcp

    # --- creation and negotiation -------------------------------------------------------

    @classmethod
    async def create(
        cls, engine: MediaEngine, offer: str | bytes, direction: str = "sendrecv"
    ) -> tuple[MediaSession, str]:
        """Answer an SDP offer (UAS). Raises :class:`~media.errors.SdpError` before any port
        is taken, :class:`~media.errors.OfferAnswerError` (488) with the port pair released.
        The answer is made once, on the bound port (making it first on port 0 only to check
        the offer doubled the cost for every good offer: issue 17)."""
        parsed = SessionDescription.parse(offer)
        host = engine.host_for(offered_family(parsed))  # answer in the family offered
        session = cls(engine, await RtpEndpoint.open(host, engine.pool))
        session._direction = direction
        try:
            return session, session.update(parsed)
        except BaseException:  # no failure path keeps the port pair
            await session.close()
            raise

    @classmethod
    async def create_offer(
        cls, engine: MediaEngine, direction: str = "sendrecv", codecs: tuple[str, ...] = ()
    ) -> tuple[MediaSession, str]:
        """Open an endpoint and make an SDP offer (UAC); pass the answer to :meth:`apply_answer`.
        ``codecs`` narrows the engine's codecs (e.g. to the codec of a leg this one is relayed
        to, :mod:`media.relay`); empty: all of them."""
        session = cls(engine, await RtpEndpoint.open(engine.host, engine.pool))
        session._direction = direction
        session._codecs = codecs
        return session, session.offer()

    def offer(self, direction: str | None = None) -> str:
        """A (re-)offer, e.g. ``offer("sendonly")`` to hold and ``offer("sendrecv")`` to resume."""
        if direction is not None:
            self._direction = direction
        sdp = create_offer(self._local(), self._next_origin())
        self._pending_offer = sdp
        self.local_sdp = sdp
        return str(sdp)

    def apply_answer(self, answer: str | bytes) -> NegotiatedMedia:
        """Apply the peer's answer to our last offer."""
        if self._pending_offer is None:
            raise MediaError("apply_answer without an outstanding offer")
        media = apply_answer(self._pending_offer, SessionDescription.parse(answer), self._local())
        self._pending_offer = None
        self._apply(media)
        return media

    async def reoffer(self, direction: str | None = None) -> str:
        """:meth:`offer`, awaitable (:class:`~media.call_media.CallMedia`)."""
        return self.offer(direction)

    async def answer_reoffer(self, offer: str | bytes, direction: str | None = None) -> str:
        """:meth:`update`, awaitable (:class:`~media.call_media.CallMedia`)."""
        return self.update(offer, direction)

    async def accept_answer(self, answer: str | bytes) -> None:
        """:meth:`apply_answer`, awaitable (:class:`~media.call_media.CallMedia`)."""
        self.apply_answer(answer)

    def update(self, offer: str | bytes | SessionDescription, direction: str | None = None) -> str:
        """Answer a (re-)offer from the peer: hold, resume, new address or codec."""
        parsed = offer if isinstance(offer, SessionDescription) else SessionDescription.parse(offer)
        family = "IP6" if ":" in self.endpoint.host else "IP4"
        if offered_family(parsed) != family:  # our socket is bound in one family
            raise OfferAnswerError(f"re-offer changes the address family; we use {family}")
        if direction is not None:
            self._direction = direction
        answer, media = create_answer(parsed, self._local(), self._next_origin())
        self.local_sdp = answer
        self._apply(media)
        return str(answer)

    def _local(self) -> LocalMedia:
        local = self.engine.local_media(self.endpoint.port, self._direction, self.endpoint.host)
        return replace(local, codecs=self._codecs) if self._codecs else local

    def _next_origin(self) -> Origin:
        if self.local_sdp is not None:  # RFC 3264 §8: version goes up by one per new SDP
            self._origin = replace(
                self._origin, session_version=str(int(self._origin.session_version) + 1)
            )
        return self._origin

    def _apply(self, media: NegotiatedMedia) -> None:
        codec = get_codec(media.codec)
        old_media = self.negotiated
        changed = old_media is None or _stream_key(old_media) != _stream_key(media)
        self.negotiated = media
        self.endpoint.set_remote(
            (media.remote_address, media.remote_port),
            (media.remote_address, media.remote_rtcp_port),
            media.rtcp_mux,
        )
        accepted = {media.payload_type}
        for extra in (media.dtmf_payload_type, media.cn_payload_type):
            if extra is not None:
                accepted.add(extra)
        self.endpoint.accept_payload_types = frozenset(accepted)
        if changed:
            self._receiver = RtpReceiver(
                media.payload_type, media.dtmf_payload_type, codec.clock_rate
            )
            self._out.renegotiate(
                codec,
                media.payload_type,
                media.dtmf_payload_type,
                media.ptime,
                media.cn_payload_type,
            )
            if self._capture.recording is not None:
                self._capture.recording.switch_codec(codec)
        self._sync_pacing()
        if self._rtcp_timer is None:
            self._rtcp_timer = self.loop.call_later(
                RTCP_INTERVAL * random.uniform(0.5, 1.5), self._send_rtcp
            )

    # --- playing ------------------------------------------------------------------------

    def _require_player(self) -> Player:
        if self._player is None:
            raise MediaError("media not negotiated yet")
        if self.closed:
            raise MediaError("session closed")
        return self._player

    async def play(self, source: bytes | WavAudio | str | os.PathLike[str]) -> bool:
        """Play PCM16 bytes, a :class:`WavAudio` or a WAV path; True if played to the end,
        False if interrupted by :meth:`stop_playback`, hold or close."""
        player = self._require_player()
        future: asyncio.Future[bool] = self.loop.create_future()
        done = _resolver(future)
        if isinstance(source, bytes):
            player.play(source, done)
        else:
            audio = source if isinstance(source, WavAudio) else read_wav(source)
            if audio.rate != player.codec.clock_rate or audio.channels != 1:
                raise MediaError(
                    f"prompt must be {player.codec.clock_rate} Hz mono, got {audio.rate} Hz x{audio.channels}"
                )
            if audio.format == player.codec.wav_format:
                player.play_encoded(audio.data, done)
            else:
                player.play(audio.pcm16(), done)
        self._sync_pacing()
        return await future

    async def send_dtmf(self, digits: str, duration: float = 0.1) -> bool:
        """Send RFC 4733 telephone events (queued after any prompt)."""
        player = self._require_player()
        if self.negotiated is None or self.negotiated.dtmf_payload_type is None:
            raise MediaError("telephone-event was not negotiated")
        future: asyncio.Future[bool] = self.loop.create_future()
        player.send_digits(digits, duration, on_done=_resolver(future))
        self._sync_pacing()
        return await future

    def stop_playback(self) -> None:
        """Barge-in: drop queued prompts; their :meth:`play` calls return False."""
        if self._player is not None:
            self._player.stop()

    def _sync_pacing(self) -> None:
        """One packet per ptime from negotiation to close (audio, events, else silence/CN),
        none while on hold (:class:`~media.outbound.OutboundStream`)."""
        media = self.negotiated
        self._out.sync(media is not None and media.sends and not self.closed)

    def hand_over_sending(self) -> None:
        """Stop our RTP clock for good: the caller sends its own stream on :attr:`endpoint`
        (an echo or a relay), so the peer does not get two interleaved SSRCs."""
        self._out.hand_over()

    @property
    def _player(self) -> Player | None:
        return self._out.player

    @property
    def _sender(self) -> RtpSender | None:
        return self._out.sender

    # --- receiving ----------------------------------------------------------------------

    def _on_rtp(self, data: bytes, now: float) -> None:
        receiver = self._receiver
        if receiver is None:
            return
        capture = self._capture
        capture.last_rx = now
        audio, digits = receiver.receive(data, now)
        if audio and capture.recording is not None:
            capture.feed(audio, now)
        for digit in digits:
            capture.digit(digit)

    def _on_rtcp(self, data: bytes, now: float) -> None:
        self._rtcp.receive(data, now)

    @property
    def rtcp_received(self) -> int:
        """Valid RTCP datagrams from the peer so far."""
        return self._rtcp.received

    @property
    def last_remote_report(self) -> RtcpSenderReport | RtcpReceiverReport | None:
        """The peer's latest SR or RR (RFC 3550 §6.4)."""
        return self._rtcp.last_remote_report

    # --- recording ----------------------------------------------------------------------

    def _recording_codec(self) -> Codec:
        """``record`` (:class:`~media.capture.CapturingLeg`) starts on the call's codec."""
        if self.negotiated is None or self.closed:
            raise MediaError("cannot record: media not negotiated or session closed")
        return get_codec(self.negotiated.codec)

    # --- statistics, RTCP, close --------------------------------------------------------

    @property
    def stats(self) -> RtpStats:
        r, s = self._receiver, self._sender
        if r is None or s is None:
            return RtpStats(foreign=self.endpoint.foreign)
        return RtpStats(
            packets_received=r.packets,
            octets_received=r.octets,
            packets_sent=s.packets,
            octets_sent=s.octets,
            lost=r.lost,
            duplicates=r.duplicates,
            late=r.late,
            invalid=r.invalid,
            foreign=self.endpoint.foreign,
            unknown_payload=r.unknown_payload,
            ssrc_changes=r.ssrc_changes,
            jitter=r.jitter,
        )

    @property
    def local_port(self) -> int:
        return self.endpoint.port

    def _report_packets(self) -> list[RtcpPacket]:
        now = self.loop.time()
        receiver, sender = self._receiver, self._sender
        sending = None
        if sender is not None:
            rtp_now = self._out.rtp_time(self.engine.pacer.clock.current(now))
            stamp = sender.ts_base if rtp_now is None else rtp_now
            sending = SendingStats(sender.packets, sender.octets, stamp)
        reception = None if receiver is None else receiver.reception()
        return self._rtcp.report(reception, sending, time.time(), now)

    def _send_rtcp(self) -> None:
        self._rtcp_timer = None
        if self.closed:
            return
        self.endpoint.send_rtcp(serialize_compound(self._report_packets()))
        self._rtcp_timer = self.loop.call_later(
            RTCP_INTERVAL * random.uniform(0.5, 1.5), self._send_rtcp
        )

    async def close(self) -> RecordingResult | None:
        """Hang up: stop playback, finish any recording, send RTCP BYE, free the ports."""
        if self.closed:
            return None
        capture = self._capture
        if self._receiver is not None:
            audio, digits = self._receiver.flush()
            capture.feed(audio, self.loop.time())
            for digit in digits:
                capture.digit(digit)
        if self._player is not None:
            self._player.stop()
        self._out.stop()
        try:
            result = await capture.finish()
            if self._receiver is not None:
                bye = RtcpBye((self._ssrc,), b"hangup")
                try:
                    self.endpoint.send_rtcp(serialize_compound([*self._report_packets(), bye]))
                except (OSError, ValueError) as exc:  # e.g. a peer address we cannot reach
                    _log.warning("RTCP BYE not sent: %s", exc)
        finally:  # whatever failed above, the sockets and the port pair are released
            self.closed = True
            if self._rtcp_timer is not None:
                self._rtcp_timer.cancel()
            self.endpoint.close()
            self.engine.pool.release(self.endpoint.port)
        return result


def _stream_key(media: NegotiatedMedia) -> tuple[object, ...]:
    """What a new player/receiver is needed for when it changes."""
    return (
        media.codec,
        media.payload_type,
        media.dtmf_payload_type,
        media.ptime,
        media.cn_payload_type,
    )


def _resolver(future: asyncio.Future[bool]) -> Callable[[bool], None]:
    def done(completed: bool) -> None:
        if not future.done():
            future.set_result(completed)

    return done
