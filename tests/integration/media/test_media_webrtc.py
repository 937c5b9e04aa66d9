"""aiortc (as the operator SBC) to the TAS WebRTC-style leg: DTLS-SRTP over loopback ICE."""

import asyncio
import fractions
from pathlib import Path

import aioice.ice
import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from av import AudioFrame
from av.audio.resampler import AudioResampler

from media.errors import MediaError
from media.legs import answer_offer
from media.session import MediaEngine
from media.tones import dominant_frequency, tone
from media.wav import read_wav
from media.webrtc import WebRtcSession


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """ICE host candidates on 127.0.0.1 only (aioice skips loopback by default)."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


class ToneTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self.pcm = tone([frequency], 10.0, level=0.5)
        self.frames = 0
        self.start: float | None = None

    async def recv(self) -> AudioFrame:
        loop = asyncio.get_running_loop()
        if self.start is None:
            self.start = loop.time()
        delay = self.start + self.frames * 0.02 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = AudioFrame(format="s16", layout="mono", samples=160)
        frame.planes[0].update(
            self.pcm[self.frames * 320 % len(self.pcm) :][:320].ljust(320, b"\0")
        )
        frame.sample_rate = 8000
        frame.pts = self.frames * 160
        frame.time_base = fractions.Fraction(1, 8000)
        self.frames += 1
        return frame


async def collect(track: MediaStreamTrack, seconds: float) -> bytes:
    resampler = AudioResampler(format="s16", layout="mono", rate=8000)
    out = b""
    while len(out) < seconds * 16000:
        frame = await track.recv()
        for f in resampler.resample(frame):
            out += bytes(f.planes[0])[: 2 * f.samples]
    return out


async def test_tone_both_ways_over_dtls_srtp(tmp_path: Path) -> None:
    engine = MediaEngine("127.0.0.1", 33000, 33099)
    sbc = RTCPeerConnection()
    sbc.addTrack(ToneTrack(700.0))
    received: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
    sbc.on("track", lambda t: received.done() or received.set_result(t))
    await sbc.setLocalDescription(await sbc.createOffer())
    offer = sbc.localDescription.sdp
    assert "UDP/TLS/RTP/SAVPF" in offer

    session, answer = await asyncio.wait_for(answer_offer(engine, offer), 10)
    assert isinstance(session, WebRtcSession)
    assert "a=fingerprint:" in answer and "a=setup:active" in answer
    await sbc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    recording = session.record(tmp_path / "webrtc.wav")

    playing = asyncio.create_task(session.play(tone([1200.0], 1.5, level=0.5)))
    heard = await asyncio.wait_for(collect(await asyncio.wait_for(received, 10), 2.0), 10)
    assert await asyncio.wait_for(playing, 10)
    result = await session.close()
    await sbc.close()

    assert result is not None and result.path == tmp_path / "webrtc.wav"
    assert recording.done and result.duration > 0.5
    pcm = read_wav(result.path).pcm16()
    loud = np.frombuffer(pcm, "<i2")[-4000:].tobytes()  # skip the start-up
    assert dominant_frequency(loud) == pytest.approx(700.0, abs=10)
    samples = np.frombuffer(heard, "<i2")
    voiced = samples[np.abs(samples) > 0]
    assert len(voiced) > 4000
    assert dominant_frequency(voiced[:8000].tobytes()) == pytest.approx(1200.0, abs=10)
    with pytest.raises(MediaError, match="not available on the WebRTC leg"):
        await session.send_dtmf("1")
    assert session.stats.packets_sent > 0 and session.stats.packets_received > 0


async def test_tas_offers_webrtc_records_and_holds(tmp_path: Path) -> None:
    from media.legs import offer_media

    engine = MediaEngine("127.0.0.1", 33100, 33199)
    session, offer = await asyncio.wait_for(offer_media(engine, webrtc=True), 10)
    assert isinstance(session, WebRtcSession) and "UDP/TLS/RTP/SAVPF" in offer
    core = RTCPeerConnection()
    await core.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    core.addTrack(ToneTrack(450.0))
    await core.setLocalDescription(await core.createAnswer())
    await session.accept_answer(core.localDescription.sdp)
    recording = session.record(tmp_path / "out.wav", max_duration=1.0)
    result = await asyncio.wait_for(recording.wait(), 10)
    assert result.reason == "max_duration" and result.path is not None
    pcm = read_wav(result.path).pcm16()
    assert dominant_frequency(pcm[-6000:]) == pytest.approx(450.0, abs=10)

    hold = await session.reoffer("sendonly")
    assert "a=sendonly" in hold
    await core.setRemoteDescription(RTCSessionDescription(sdp=hold, type="offer"))
    await core.setLocalDescription(await core.createAnswer())
    assert "a=recvonly" in core.localDescription.sdp
    await session.accept_answer(core.localDescription.sdp)
    await session.close()
    await core.close()
    with pytest.raises(MediaError):
        await session.play(b"\0\0")


async def test_dtls_offer_without_ice_is_refused_clearly() -> None:
    engine = MediaEngine("127.0.0.1", 33200, 33299)
    offer = (
        Path(__file__).parents[2] / "captures" / "sdp" / "baresip_dtls_srtp_offer.sdp"
    ).read_text()
    with pytest.raises(MediaError, match="WebRTC offer refused: ICE"):
        await answer_offer(engine, offer)
