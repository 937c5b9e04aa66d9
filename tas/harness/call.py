"""One test call (asyncio): INVITE through a :class:`~tas.harness.stack.HarnessStack`, RTP
through a :class:`~media.session.MediaSession`, and everything observed in a
:class:`~tas.harness.result.CallResult`.

After the answer the call plays its audio in a loop, sends the scheduled DTMF (RFC 4733),
listens (tones, digits, optional recording), holds and resumes when asked (RFC 3264 §8.4
sendonly re-offer), and hangs up after ``duration`` seconds, ``after_beep`` seconds after a
beep, or when the far end does. ``cancel_after`` CANCELs (RFC 3261 §9.1) an unanswered call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media.codecs import get_codec
from media.dtmf import DtmfDigit
from media.errors import MediaError, PacketError
from media.rtp import RtpPacket
from media.session import MediaEngine, MediaSession
from tas.harness.ladder import Ladder
from tas.harness.listen import Tone, ToneDetector, is_beep
from tas.harness.options import DtmfAt
from tas.harness.result import CallResult, DigitHeard, HoldResult, RtpSummary
from tas.harness.stack import HarnessStack
from tas.harness.target import connect_failure
from tas.sip.call import Call, Credentials
from tas.sip.errors import LocalProtocolError
from tas.sip.message import Response
from tas.sip.transaction_base import Peer
from tas.transport.ua import CallFailedError, CallHandle

__all__ = ["CallSpec", "place_call", "static_offer"]

log = logging.getLogger(__name__)

CHUNK = 0.2  # seconds of audio per play() call: DTMF goes out between chunks
BYE_WAIT = 5.0


@dataclass(frozen=True, slots=True)
class CallSpec:
    """What to do on one call. ``audio`` is 8 kHz mono PCM16, played in a loop."""

    target: str  # sip:/sips: Request-URI
    peer: Peer  # next hop, numeric host
    from_uri: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    credentials: Credentials | None = None
    audio: bytes | None = None
    dtmf: tuple[DtmfAt, ...] = ()
    record: Path | None = None
    listen: bool = True
    duration: float | None = 5.0  # after the answer; None: until the far end hangs up
    after_beep: float | None = None  # hang up this long after a beep ends
    cancel_after: float | None = None
    hold: bool = False
    answer_timeout: float = 60.0  # INVITE -> final response
    no_response_timeout: float = 5.0  # nothing at all from the far end: unreachable
    max_time: float = 600.0  # after the answer, whatever else is asked


def static_offer(host: str) -> bytes:
    """The SDP offer of a signalling-only call: PCMU + telephone-event on the discard port."""
    return (
        f"v=0\r\no=harness 1 1 IN IP4 {host}\r\ns=tas-harness\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        "m=audio 9 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n"
    ).encode()


async def place_call(
    stack: HarnessStack,
    engine: MediaEngine | None,
    spec: CallSpec,
    *,
    ladder: Ladder | None = None,
    after: Callable[[CallResult], Awaitable[None]] | None = None,
) -> CallResult:
    """Place the call described by ``spec``; never raises for what the far end does."""
    transport = spec.peer.transport
    result = CallResult(spec.target, transport)
    session: MediaSession | None = None
    try:
        if engine is not None:
            session, offer = await MediaSession.create_offer(engine)
            body = offer.encode()
        else:
            body = static_offer(_local_host(stack, transport))
    except MediaError as exc:
        result.error = f"cannot open RTP ports: {exc}"
        return result
    try:
        call = stack.endpoint.invite(
            spec.target,
            stack.now(),
            peer=spec.peer,
            from_uri=spec.from_uri,
            body=body,
            headers=dict(spec.headers),
            credentials=spec.credentials,
        )
    except LocalProtocolError as exc:
        if session is not None:
            await session.close()
        result.error = str(exc)
        return result
    handle = CallHandle(stack, call)  # the call's listener: its events as futures
    handle.auto_reinvite = False  # re-INVITEs are answered from the media session (_talk)
    result.call_id = call.call_id
    if ladder is not None:
        ladder.call_id = call.call_id
    invited = time.perf_counter()
    stack.flush()
    try:
        response = await _final_response(handle, spec, ladder, result)
        if response is not None:
            result.status, result.reason = response.status, response.reason
            if handle.rang_at is not None:
                result.ringing_after = handle.rang_at - invited
            if 200 <= response.status < 300:
                result.answered = True
                result.setup_latency = time.perf_counter() - invited
                await _talk(stack, handle, session, spec, result, response)
            elif ladder is not None and not ladder.heard_from_peer:
                result.unreachable = True
                hint = " (TLS refused? --ca FILE, or --insecure for test peers)"
                tls = spec.peer.transport == "TLS" and response.status == 503
                result.error = result.error or f"no response from {_where(spec.peer)}" + (
                    connect_failure(stack, spec.peer) or ""
                ) + (hint if tls else "")
    finally:
        if session is not None:
            recording = await session.close()
            if recording is not None and recording.path is not None:
                result.recording = str(recording.path)
            if result.answered:
                stats = session.stats
                result.rtp = RtpSummary(
                    stats.packets_sent,
                    stats.packets_received,
                    stats.lost,
                    stats.loss_fraction,
                    stats.jitter,
                )
        call.listener = None
        handle.answered.cancel()  # unsettled when we gave up: nobody waits for it any more
    if handle.end is not None:
        result.ended_by = "remote" if handle.end.by_remote else "local"
        result.end_reason = handle.end.reason
    if ladder is not None:
        result.ladder = list(ladder.entries)
    if after is not None:
        await after(result)
    return result


async def _final_response(
    handle: CallHandle,
    spec: CallSpec,
    ladder: Ladder | None,
    result: CallResult,
) -> Response | None:
    """Wait for the INVITE's final response; CANCEL when asked or when it takes too long."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    give_up = started + spec.answer_timeout
    cancel_at = started + spec.cancel_after if spec.cancel_after is not None else give_up
    silent_at = started + spec.no_response_timeout
    cancelled = False
    final = handle.answered  # a 2xx, or CallFailedError with the failure
    while not final.done():
        now = loop.time()
        if ladder is not None and not ladder.heard_from_peer and now >= silent_at:
            result.unreachable = True
            result.error = f"no response from {_where(spec.peer)} in {spec.no_response_timeout:g} s"
            return None
        if not cancelled and now >= cancel_at:
            cancelled = True
            result.cancelled = spec.cancel_after is not None
            if now >= give_up:
                result.error = f"no final response in {spec.answer_timeout:g} s: cancelled"
            with contextlib.suppress(LocalProtocolError):
                handle.cancel()
            give_up = now + 32.0  # Timer B-like bound for the 487 (RFC 3261 §17.1.1.2)
        elif cancelled and now >= give_up:
            result.error = "no final response after CANCEL"
            return None
        deadlines = [give_up, cancel_at] if not cancelled else [give_up]
        if ladder is not None and not ladder.heard_from_peer:
            deadlines.append(silent_at)
        wait = max(0.0, min(d for d in deadlines if d > now - 1e-9) - now) if deadlines else 1.0
        await asyncio.wait([final], timeout=max(wait, 0.001))
    failure = final.exception()
    return failure.response if isinstance(failure, CallFailedError) else final.result()


async def _talk(
    stack: HarnessStack,
    handle: CallHandle,
    session: MediaSession | None,
    spec: CallSpec,
    result: CallResult,
    answer: Response,
) -> None:
    """The answered call: media, DTMF, hold, then BYE unless the far end hung up first."""
    loop = asyncio.get_running_loop()
    answered = loop.time()
    hang_up = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    detector = ToneDetector() if session is not None and spec.listen else None
    if session is not None:
        try:
            session.apply_answer(answer.body)
        except (MediaError, ValueError) as exc:
            result.error = f"unusable SDP answer: {exc}"
            session = None
    if session is not None:
        media = session
        handle.on_reinvite = lambda event: _answer_reinvite(stack, event.call, media)
        _listen(session, spec, result, detector, answered, hang_up)
        if spec.record is not None:
            try:
                session.record(spec.record)
            except (MediaError, OSError) as exc:
                result.error = f"cannot record to {spec.record}: {exc}"
        if spec.audio:
            tasks.append(asyncio.ensure_future(_play(session, spec.audio)))
        if spec.dtmf:
            tasks.append(asyncio.ensure_future(_send_dtmf(session, spec.dtmf, answered, result)))
    if spec.hold:
        tasks.append(asyncio.ensure_future(_hold(stack, handle, session, spec, result)))
    limit = spec.max_time if spec.duration is None else min(spec.duration, spec.max_time)
    hung_up = asyncio.ensure_future(hang_up.wait())
    waits: list[asyncio.Future[Any]] = [handle.ended, hung_up]  # handle.ended is not cancelled
    try:
        await asyncio.wait(waits, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (hung_up, *tasks):
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, MediaError):
                await task
    result.talk_time = loop.time() - answered
    if not handle.ended.done():
        with contextlib.suppress(LocalProtocolError, TimeoutError):
            await asyncio.wait_for(handle.hangup(), BYE_WAIT)
    if detector is not None:
        detector.flush(loop.time() - answered)
        result.tones = list(detector.tones)


def _listen(
    session: MediaSession,
    spec: CallSpec,
    result: CallResult,
    detector: ToneDetector | None,
    answered: float,
    hang_up: asyncio.Event,
) -> None:
    """Digits into ``result``; decoded audio into the tone detector (beep -> hang up later)."""
    loop = asyncio.get_running_loop()

    def on_digit(digit: DtmfDigit) -> None:
        result.digits.append(DigitHeard(digit.digit, loop.time() - answered, digit.duration))

    session.on_dtmf = on_digit
    negotiated = session.negotiated
    if detector is None or negotiated is None:
        return
    codec = get_codec(negotiated.codec)
    audio_pt = negotiated.payload_type
    endpoint = session.endpoint
    inner = endpoint.on_rtp
    timer: list[asyncio.TimerHandle] = []

    def heard(tones: list[Tone]) -> None:
        if spec.after_beep is not None and not timer and any(is_beep(t) for t in tones):
            timer.append(loop.call_later(spec.after_beep, hang_up.set))

    def on_rtp(data: bytes, now: float) -> None:
        if inner is not None:
            inner(data, now)
        try:
            packet = RtpPacket.parse(data)
        except PacketError:
            return
        if packet.payload_type == audio_pt:
            heard(detector.feed(codec.decode(packet.payload), now - answered))

    def watch() -> None:  # a tone ends when the far end stops sending, too
        if not session.closed:
            heard(detector.silence(loop.time() - answered))
            loop.call_later(0.1, watch)

    endpoint.on_rtp = on_rtp
    loop.call_later(0.1, watch)


async def _play(session: MediaSession, audio: bytes) -> None:
    """Loop ``audio`` in short chunks so queued DTMF goes out between them."""
    step = 2 * round(CHUNK * 8000)
    chunks = [audio[i : i + step] for i in range(0, len(audio), step)]
    while not session.closed:
        for chunk in chunks:
            if not await session.play(chunk):
                await asyncio.sleep(CHUNK)  # on hold (not sending) or stopped


async def _send_dtmf(
    session: MediaSession, schedule: tuple[DtmfAt, ...], answered: float, result: CallResult
) -> None:
    loop = asyncio.get_running_loop()
    for item in schedule:
        await asyncio.sleep(max(0.0, answered + item.at - loop.time()))
        try:
            sent = session.send_dtmf(item.digits)
            result.digits_sent += item.digits
            await sent
        except MediaError as exc:
            result.error = f"cannot send DTMF: {exc}"
            return


async def _hold(
    stack: HarnessStack,
    handle: CallHandle,
    session: MediaSession | None,
    spec: CallSpec,
    result: CallResult,
) -> None:
    """Re-INVITE sendonly a third into the call, resume (sendrecv) at two thirds."""
    span = spec.duration if spec.duration is not None else 3.0
    statuses: list[int | None] = []
    result.hold = HoldResult(None, None)
    for direction, at in (("sendonly", span / 3), ("sendrecv", span / 3)):
        await asyncio.sleep(at)
        if session is not None:
            offer = session.offer(direction).encode()
        else:
            offer = static_offer(_local_host(stack, handle.call.peer.transport)).replace(
                b"a=sendrecv", b"a=" + direction.encode()
            )
        try:
            response = await asyncio.wait_for(handle.reinvite(offer), 35.0)
        except LocalProtocolError as exc:
            result.error = f"cannot re-INVITE: {exc}"
            return
        except TimeoutError:
            statuses.append(None)
            result.hold = HoldResult(*(statuses + [None])[:2])
            return
        statuses.append(response.status)
        result.hold = HoldResult(*(statuses + [None])[:2])
        if not 200 <= response.status < 300:
            return
        if session is not None:
            try:
                session.apply_answer(response.body)
            except (MediaError, ValueError) as exc:
                result.error = f"unusable SDP answer to the re-INVITE: {exc}"
                return


def _answer_reinvite(stack: HarnessStack, call: Call, session: MediaSession) -> None:
    """The far end re-offers (hold, new address): answer from the media session."""
    request = call.reinvite_in.request if call.reinvite_in is not None else None
    now = stack.now()
    if request is None or not request.body:
        stack.endpoint.answer_reinvite(call, call.local_sdp, now)
        return
    try:
        answer = session.update(request.body)
    except (MediaError, ValueError):
        stack.endpoint.reject_reinvite(call, 488, now)
        return
    stack.endpoint.answer_reinvite(call, answer.encode(), now)


def _local_host(stack: HarnessStack, transport: str) -> str:
    host, _ = stack.local.get(transport) or next(iter(stack.local.values()))
    return host


def _where(peer: Peer) -> str:
    return f"{peer.transport.lower()}:{peer.host}:{peer.port}"
