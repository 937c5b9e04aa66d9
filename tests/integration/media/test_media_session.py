"""Two media sessions talking RTP over loopback sockets in one event loop."""

import asyncio
import socket
from pathlib import Path

import pytest

from media.call_media import CallMedia
from media.errors import OfferAnswerError, SdpError
from media.rtcp import RtcpSenderReport
from media.rtp import RtpPacket
from media.session import MediaEngine, MediaSession
from media.tones import dominant_frequency, tone
from media.wav import FORMAT_ULAW, read_wav, write_wav

CAPTURES = Path(__file__).parents[2] / "captures" / "sdp"


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def engine() -> MediaEngine:
    return MediaEngine("127.0.0.1", 31000, 31199)


async def connect(engine: MediaEngine) -> tuple[MediaSession, MediaSession]:
    uac, offer = await MediaSession.create_offer(engine)
    uas, answer = await MediaSession.create(engine, offer)
    uac.apply_answer(answer)
    return uac, uas


async def test_tone_and_digits_cross_the_wire(engine: MediaEngine, tmp_path: Path) -> None:
    uac, uas = await connect(engine)
    digits: list[str] = []
    uas.on_dtmf = lambda d: digits.append(d.digit)
    recording = uas.record(tmp_path / "in.wav")
    assert await uac.play(tone([1000.0], 0.6))
    assert await uac.send_dtmf("5#")
    await asyncio.sleep(0.1)
    result = await uas.close()
    await uac.close()
    assert result is not None and result.path == tmp_path / "in.wav" and result.reason == "closed"
    assert recording.done
    audio = read_wav(result.path)
    # silence is sent from the answer on, so the file covers the call, not only the tone
    assert audio.duration >= 0.6 + 0.1
    assert dominant_frequency(audio.pcm16()) == pytest.approx(1000.0, abs=3)
    assert digits == ["5", "#"]
    stats = uas.stats
    assert stats.packets_received >= 30 + 2 * 7 and stats.lost == 0 and stats.invalid == 0
    assert uac.stats.packets_sent >= stats.packets_received
    assert engine.pool.in_use == 0


async def test_read_digits_and_wav_prompt(engine: MediaEngine, tmp_path: Path) -> None:
    uac, uas = await connect(engine)
    prompt = write_wav(tmp_path / "p.wav", bytes([0xFF]) * 800, FORMAT_ULAW)  # 0.1 s silence
    assert await uas.play(prompt)
    sending = asyncio.create_task(uac.send_dtmf("42#9"))
    assert await uas.read_digits(max_digits=5, inter_digit=2.0) == "42"
    await sending
    assert await uas.read_digits(1, inter_digit=1.0) == "9"
    assert await uas.read_digits(1, inter_digit=0.05) == ""
    assert uac.stats.packets_received >= 5  # the prompt, then silence every 20 ms
    await uac.close()
    await uas.close()


async def test_hold_and_resume(engine: MediaEngine) -> None:
    uac, uas = await connect(engine)
    hold = uac.offer("sendonly")
    uac.apply_answer(uas.update(hold))
    assert uas.negotiated is not None and uas.negotiated.direction == "recvonly"
    before = uas.stats.packets_sent
    assert not await uas.play(tone([400.0], 0.2))  # on hold: nothing is sent
    assert uas.stats.packets_sent == before
    caller: CallMedia = uac  # the leg-agnostic awaitable forms
    callee: CallMedia = uas
    resume = await caller.reoffer("sendrecv")
    answer = await callee.answer_reoffer(resume)
    await caller.accept_answer(answer)
    assert "a=sendrecv" in answer and "o=tas " in answer
    held = uac.stats.packets_received
    assert await uas.play(tone([400.0], 0.1))
    await asyncio.sleep(0.05)
    assert uac.stats.packets_received >= held + 5
    await uac.close()
    await uas.close()


async def test_latching_follows_the_real_source(engine: MediaEngine) -> None:
    offer = (CAPTURES / "baresip_offer.sdp").read_text()  # says 192.0.2.2:17010
    uas, _ = await MediaSession.create(engine, offer)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_sendto(
        peer, bytes(RtpPacket(0, 1, 0, 99, b"\xff" * 160)), ("127.0.0.1", uas.local_port)
    )
    await asyncio.sleep(0.05)
    assert uas.endpoint.latched and uas.endpoint.remote == peer.getsockname()
    playing = asyncio.create_task(uas.play(tone([400.0], 0.04)))
    data = await asyncio.wait_for(loop.sock_recv(peer, 2048), 2)
    assert RtpPacket.parse(data).payload_type == 0
    await playing
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger.sendto(bytes(RtpPacket(0, 2, 160, 5, b"\xff" * 160)), ("127.0.0.1", uas.local_port))
    await asyncio.sleep(0.05)
    assert uas.stats.foreign == 1 and uas.endpoint.remote == peer.getsockname()
    peer.close()
    stranger.close()
    await uas.close()


async def test_recording_limits_by_wall_clock_and_min_duration(
    engine: MediaEngine, tmp_path: Path
) -> None:
    uac, uas = await connect(engine)
    quiet = uas.record(tmp_path / "quiet.wav", silence_timeout=0.3, min_duration=0.5)
    result = await asyncio.wait_for(quiet.wait(), 3)  # the peer sends nothing at all
    assert result.reason == "silence" and result.path is None
    short = uas.record(tmp_path / "short.wav", max_duration=0.2)
    await uac.play(tone([500.0], 0.5))
    result = await asyncio.wait_for(short.wait(), 3)
    assert result.reason == "max_duration" and result.duration == pytest.approx(0.2)
    assert result.path is not None and read_wav(result.path).duration == pytest.approx(0.2)
    assert names(tmp_path) == ["short.wav"]
    await uac.close()
    await uas.close()


async def test_bad_offers_take_no_port(engine: MediaEngine) -> None:
    with pytest.raises(OfferAnswerError):
        await MediaSession.create(engine, (CAPTURES / "aiortc_offer.sdp").read_bytes())
    with pytest.raises(SdpError):
        await MediaSession.create(engine, b"garbage")
    assert engine.pool.in_use == 0


async def test_rtcp_bye_and_reports_reach_the_peer(engine: MediaEngine) -> None:
    uac, uas = await connect(engine)
    await uac.play(tone([500.0], 0.1))
    await uac.close()
    await asyncio.sleep(0.05)
    assert uas.rtcp_received == 1
    await uas.close()


async def test_reports_echo_the_peers_sender_report(engine: MediaEngine) -> None:
    uac, uas = await connect(engine)
    await asyncio.gather(uac.play(tone([500.0], 0.1)), uas.play(tone([500.0], 0.1)))
    uac._send_rtcp()  # the periodic report (RFC 3550 §6.2), now rather than in ~5 s
    await asyncio.sleep(0.05)
    sent = uas.last_remote_report
    assert isinstance(sent, RtcpSenderReport) and sent.packet_count >= 5
    uas._send_rtcp()
    await asyncio.sleep(0.05)
    back = uac.last_remote_report
    assert isinstance(back, RtcpSenderReport)
    (block,) = back.reports  # §6.4.1: LSR and DLSR let uac compute the round trip
    assert block.ssrc == sent.ssrc and block.lsr == (sent.ntp_timestamp >> 16) & 0xFFFFFFFF
    assert 0 < block.dlsr < 2 * 65536 and block.fraction_lost == 0 and block.lost == 0
    await uac.close()
    await uas.close()


async def test_answer_offer_picks_the_plain_leg_for_rtp_avp(engine: MediaEngine) -> None:
    from media.legs import answer_offer

    session, answer = await answer_offer(engine, (CAPTURES / "sipp_uac_pcap_offer.sdp").read_text())
    assert isinstance(session, MediaSession) and "RTP/AVP 8 101" in answer
    await session.close()


async def test_rtcp_on_the_odd_port_without_mux(tmp_path: Path) -> None:
    engine = MediaEngine("127.0.0.1", 31200, 31299, rtcp_mux=False)
    uac, uas = await connect(engine)
    assert uas.negotiated is not None and not uas.negotiated.rtcp_mux
    assert uas.negotiated.remote_rtcp_port == uac.local_port + 1
    await uac.play(tone([500.0], 0.06))
    await uac.close()
    await asyncio.sleep(0.05)
    assert uas.rtcp_received == 1
    assert uas.last_remote_report is not None
    assert uas.stats.packets_received == 3
    await uas.close()


async def test_recording_keeps_call_time_across_a_hold(engine: MediaEngine, tmp_path: Path) -> None:
    """Issue 11: silence goes out when nothing plays, and a hold is silence in the file."""
    loop = asyncio.get_running_loop()
    uac, uas = await connect(engine)
    started = loop.time()
    recording = uac.record(tmp_path / "held.wav")
    await asyncio.sleep(0.3)
    uac.apply_answer(uas.update(uac.offer("recvonly")))  # uas may no longer send
    await asyncio.sleep(1.0)
    uac.apply_answer(uas.update(uac.offer("sendrecv")))
    assert await uas.play(tone([700.0], 0.2))
    await asyncio.sleep(0.3)
    recording.stop()
    elapsed = loop.time() - started
    result = await recording.wait()
    await uac.close()
    await uas.close()
    assert result.path is not None
    assert abs(read_wav(result.path).duration - elapsed) < 0.15, (result.duration, elapsed)
    assert engine.pool.in_use == 0


async def test_comfort_noise_instead_of_silence_when_negotiated() -> None:
    engine = MediaEngine("127.0.0.1", 31200, 31299, comfort_noise=True)
    uac, uas = await connect(engine)
    seen: list[int] = []
    inner = uac.endpoint.on_rtp

    def spy(data: bytes, now: float) -> None:
        seen.append(RtpPacket.parse(data).payload_type)
        if inner is not None:
            inner(data, now)

    uac.endpoint.on_rtp = spy
    await asyncio.sleep(0.2)
    assert await uas.play(tone([500.0], 0.1))
    await asyncio.sleep(0.1)
    await uac.close()
    await uas.close()
    assert uas.negotiated is not None and uas.negotiated.cn_payload_type == 13
    assert set(seen) == {0, 13} and seen.count(0) == 5 and seen[0] == 13
    assert engine.pool.in_use == 0


async def test_an_offer_without_a_usable_codec_is_488_and_leaves_no_port_taken() -> None:
    """The answer is made once, on the bound port: a refused offer releases the pair."""
    engine = MediaEngine("127.0.0.1", 25900, 25919)
    g729_only = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
    )
    with pytest.raises(OfferAnswerError) as caught:
        await MediaSession.create(engine, g729_only)
    assert caught.value.status == 488 and engine.pool.in_use == 0
    session, answer = await MediaSession.create(engine, g729_only.replace(" 18\r\n", " 0 18\r\n"))
    assert f"m=audio {session.endpoint.port} RTP/AVP 0" in answer
    await session.close()
    assert engine.pool.in_use == 0
