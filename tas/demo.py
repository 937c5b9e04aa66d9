"""``tas demo`` (what ``make run`` runs): the voicemail fallback story on the embedded default.

1. start everything ``tas serve`` runs (SIP/TLS, media, call application, voicemail, events,
   the sandbox operator core) on loopback, ports picked free;
2. register a number with FALLBACK for our ``sips:`` URI through the real SipBreakout gRPC API
   (the registrations lifecycle store + refresher, as ``tas register`` does);
3. make that number's simulated handset busy;
4. place a call to it through the sandbox core (a SIP UAC with real RTP that speaks after the
   beep), which diverts it to the TAS: greeting, beep, recording;
5. print the call's timeline (our milestones joined with the core's VOICE/VOICEMAIL events)
   and where the message is, then keep serving until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from media.session import MediaEngine, MediaSession
from media.tones import speech_like
from media.wav import read_wav
from registrations.model import Registration, Route
from tas.config import Settings
from tas.config_cli import settings_for_cli
from tas.server import TasServer
from tas.transport.loop import stop_signals
from tas.transport.stack import StackOptions
from tas.transport.ua import CallFailedError, CallHandle, UserAgent
from tas.voicemail import DEFAULT_GREETING, Voicemail
from tas.voicemail.greetings import BEEP_SECONDS

__all__ = [
    "CallerResult",
    "demo",
    "ephemeral",
    "place_call",
    "register",
    "run_demo",
]

SUBSCRIBER = "+4799990001"
CALLER = "+4799990002"


def ephemeral(settings: Settings) -> Settings:
    """``settings`` with every loopback listener on a port the OS picks (port 0), and RTP
    in a random 1000-port window of 10000-19999 (below the usual 20000+ ranges and the
    ephemeral ports), so a busy machine's stray RTP does not reach the story's calls."""
    low = random.randrange(10000, 19000, 2)
    settings.media.port_min, settings.media.port_max = low, low + 998
    settings.sip.udp = ["127.0.0.1:0"]
    settings.sip.tcp = ["127.0.0.1:0"]
    settings.sip.tls = ["127.0.0.1:0"]
    settings.sandbox.grpc = "127.0.0.1:0"
    settings.sandbox.sip_port = 0
    settings.sandbox.sip_tls_port = 0
    settings.voicemail.api = "127.0.0.1:0"
    settings.metrics.listen = "127.0.0.1:0"
    if not settings.voicemail.api_tokens:
        # A one-run bearer token so the voicemail API is usable (tas call --expect voicemail).
        settings.voicemail.api_tokens = [secrets.token_urlsafe(16)]
    return settings


async def register(server: TasServer, number: str, route: Route) -> Registration:
    """Want ``number`` routed to our ``sips:`` URI and register it now, through the operator's
    SipBreakout API (the refresher keeps it alive afterwards)."""
    uri = server.sips_uri
    if uri is None:
        raise RuntimeError("no TLS listener: the operator core needs a sips: URI")
    reg = Registration(number, route, uri)
    # The embedded sandbox keeps what an earlier run registered (another port, so another
    # URI): want the new one, so the refresher deletes the old URI first (NOT_FOUND is fine).
    await server.refresher.store.set_desired(number, reg, time.time())
    outcomes = await server.refresher.reconcile(only=[number], force=True)
    failed = [o.error for o in outcomes if o.error is not None]
    if failed:
        raise RuntimeError(f"registration of {number} failed: {failed[0]}")
    return reg


@dataclass(frozen=True, slots=True)
class CallerResult:
    """What the calling party saw."""

    status: int  # final SIP status of our INVITE
    answered_at: float | None  # loop time of the 200
    spoke: bytes  # the PCM16 we sent after the beep
    sip_call_id: str
    remote_hangup: bool = False  # the far end (the TAS, the core) sent the BYE


async def place_call(
    engine: MediaEngine,
    core: tuple[str, int],
    caller: str,
    callee: str,
    *,
    speak_after: float,
    message: bytes,
    hangup_after: float | None = None,
    cancel_after: float | None = None,
    hangup: asyncio.Event | None = None,
    digits: str = "",
    end_digits: str = "",
    give_up: float = 60.0,
) -> CallerResult:
    """Call ``callee`` through the core at ``core`` (UDP) from ``caller``; once answered,
    wait ``speak_after`` s, send ``message`` (PCM16 8 kHz), hang up ``hangup_after`` s after
    the answer (None: when the message is sent and 1 s passed), or as soon as ``hangup`` is
    set. ``digits`` (RFC 4733) go out just before the message, ``end_digits`` right after it.
    ``cancel_after`` s after the INVITE: CANCEL instead."""
    ua = await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=(), user=caller[1:]))
    loop = asyncio.get_running_loop()
    session, offer = await MediaSession.create_offer(engine)
    host, port = core
    call = ua.dial(
        f"sip:{callee}@{host}:{port}", sdp=offer.encode(), from_uri=f"sip:{caller}@127.0.0.1"
    )
    ended = asyncio.Event()
    call.ended.add_done_callback(lambda _: ended.set())
    spoke = b""
    answered_at = None
    stop = asyncio.Event()  # the call ended, or ``hangup`` was set
    watcher = asyncio.ensure_future(_stop_on(hangup, ended, stop))
    try:
        if cancel_after is not None:
            await asyncio.wait([call.answered], timeout=cancel_after)
            if not call.answered.done():
                call.cancel()
        status = await asyncio.wait_for(_final_status(call), give_up)
        if status == 200:
            answered_at = loop.time()
            session.apply_answer(call.answered.result().body)
            end_at = answered_at + (hangup_after if hangup_after is not None else 1e9)
            await _until(stop, min(speak_after, end_at - loop.time()))
            if digits and not stop.is_set():
                await _until(
                    stop, end_at - loop.time(), asyncio.ensure_future(session.send_dtmf(digits))
                )
            if not stop.is_set() and loop.time() < end_at:
                play = asyncio.ensure_future(session.play(message))
                await _until(stop, end_at - loop.time(), play)
                spoke = message if play.done() else b""
                if end_digits and not stop.is_set():
                    sent = asyncio.ensure_future(session.send_dtmf(end_digits))
                    await _until(stop, end_at - loop.time(), sent)
                await _until(stop, 1.0 if hangup_after is None else end_at - loop.time())
            if call.call.state == "confirmed":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(call.hangup(), 5.0)
        return CallerResult(
            status,
            answered_at,
            spoke,
            call.call.call_id,
            call.end is not None and call.end.by_remote,
        )
    finally:
        watcher.cancel()
        await session.close()
        await ua.close()


async def _final_status(call: CallHandle) -> int:
    """200 once answered, else the final status of the failure."""
    try:
        await asyncio.shield(call.answered)
    except CallFailedError as exc:
        return exc.response.status
    return 200


async def _stop_on(hangup: asyncio.Event | None, ended: asyncio.Event, stop: asyncio.Event) -> None:
    """Set ``stop`` when the call ends or ``hangup`` is set."""
    waits = [asyncio.ensure_future(ended.wait())]
    if hangup is not None:
        waits.append(asyncio.ensure_future(hangup.wait()))
    try:
        await asyncio.wait(waits, return_when="FIRST_COMPLETED")
    finally:
        for waiter in waits:
            waiter.cancel()
    stop.set()


async def _until(
    ended: asyncio.Event, seconds: float, work: asyncio.Future[bool] | None = None
) -> None:
    """Wait ``seconds`` (or for ``work``), returning early when the call ends."""
    waits: set[asyncio.Future[object]] = {asyncio.ensure_future(ended.wait())}
    if work is not None:
        waits.add(work)  # type: ignore[arg-type]
    try:
        await asyncio.wait(waits, timeout=max(seconds, 0.0), return_when="FIRST_COMPLETED")
    finally:
        for waiter in waits:
            if waiter is not work:
                waiter.cancel()


def greeting_seconds() -> float:
    """How long the default greeting plus the beep last."""
    audio = read_wav(DEFAULT_GREETING)
    return len(audio.pcm16()) / 2 / audio.rate + BEEP_SECONDS


async def run_demo(
    settings: Settings,
    *,
    out: Callable[[str], None] = click.echo,
    keep_serving: bool = True,
    message_seconds: float = 4.0,
) -> Voicemail | None:
    """The story; returns the message left (None if none was)."""
    server = TasServer(settings)
    await server.start()
    try:
        message = await _story(server, out, message_seconds)
        if keep_serving:
            out("\nStill serving (SIP, voicemail API, sandbox core). Ctrl-C to stop.")
            for line in hint(server):
                out(line)
            with stop_signals() as stop:
                await stop.wait()
        return message
    finally:
        await server.stop()


def hint(server: TasServer) -> list[str]:
    """What to try from another shell while the demo keeps serving: call again, list the
    voicemail API (its address and token), open the console."""
    lines = []
    if server.core is not None:
        host, port = server.core.address("UDP")
        lines.append(
            f"Call again from another shell: tas call {SUBSCRIBER} --core {host}:{port}"
            f" --from {CALLER}"
        )
    if server.voicemail_api is not None:
        lines.append(
            f"Voicemail API at 127.0.0.1:{server.voicemail_api.port}: grpcurl -plaintext -H "
            f"'authorization: Bearer {_voicemail_token(server)}' "
            f"127.0.0.1:{server.voicemail_api.port} list"
        )
    if server.metrics is not None:
        lines.append(f"Console: http://{server.metrics.address}/console ([admin] tokens)")
    return lines


def _voicemail_token(server: TasServer) -> str:
    first = server.settings.voicemail.api_tokens[0]
    return first.split(":", 1)[0] if isinstance(first, str) else "from the config"


async def _story(
    server: TasServer, out: Callable[[str], None], message_seconds: float
) -> Voicemail | None:
    started = datetime.now(UTC)
    if server.core is None or server.plane is None:
        out("The sandbox core is not running: nothing to call through.")
        return None
    sip = server.stack.local
    out("TAS companion demo: a busy subscriber's call goes to voicemail\n")
    out(f"  TAS SIP       udp={_hp(sip['UDP'])} tcp={_hp(sip['TCP'])} tls={_hp(sip['TLS'])}")
    out(f"  sandbox core  gRPC={server.plane.address} SIP udp={_hp(server.core.address('UDP'))}")
    if server.voicemail_api is not None:
        token = _voicemail_token(server)
        out(f"  voicemail API 127.0.0.1:{server.voicemail_api.port} (bearer token {token})")
    if server.metrics is not None:
        out(f"  metrics       http://{server.metrics.address}/metrics")
    out(f"  data          {server.settings.data_dir}\n")
    reg = await register(server, SUBSCRIBER, Route.FALLBACK)
    out(f"1. registered {reg.phone_number} route=FALLBACK uri={reg.sip_uri} (SipBreakout gRPC)")
    server.core.handsets.set(SUBSCRIBER, "busy")
    out(f"2. {SUBSCRIBER}'s handset is busy (486)")
    out(f"3. {CALLER} calls {SUBSCRIBER} through the sandbox core …")
    spoken = speech_like(message_seconds)
    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        SUBSCRIBER,
        speak_after=greeting_seconds() + 0.5,
        message=spoken,
    )
    out(f"   answered by the TAS: {result.status == 200}; caller spoke {message_seconds:g} s")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.app.idle.wait(), 10.0)
    message = await _message_of(server)
    await _wait_for_events(server, started, 3.0)
    out("\n4. timeline of the call (TAS milestones + core events):")
    from tas.events import load_timelines

    timelines = await load_timelines(server.db, since=started - timedelta(seconds=1))
    for timeline in timelines:
        out(
            f"   call {timeline.id}: {timeline.caller} -> {timeline.callee} route={timeline.route}"
            f" outcome={timeline.outcome.value} core call_id={timeline.call_id}"
            f" matched_by={timeline.matched_by}"
        )
        t0 = timeline.entries[0].at if timeline.entries else started
        for entry in timeline.entries:
            offset = (entry.at - t0).total_seconds()
            detail = f"  {entry.detail}" if entry.detail else ""
            out(f"     +{offset:6.2f}s  {entry.source:<4}  {entry.kind}{detail}")
    out("\n5. voicemail (`tas voicemail list`):")
    if message is None:
        out("   no message was stored")
    else:
        out(
            f"   {message.voicemail_id}  from {message.caller}  to {message.mailbox}"
            f"  {message.duration:.1f} s  reason={message.reason.value}"
        )
        out(f"   file: {message.path}")
        out(f"   try: tas voicemail show {message.voicemail_id} / tas calls list")
    return message


async def _message_of(server: TasServer) -> Voicemail | None:
    """The message this run left: the TAS leg that recorded it names it."""
    for journal in reversed(server.app.journals):
        voicemail_id = journal.record.voicemail_id
        if voicemail_id is not None:
            found: Voicemail = await server.voicemail.get(voicemail_id)
            return found
    return None


async def _wait_for_events(server: TasServer, since: datetime, seconds: float) -> None:
    """Give the event consumer a moment to store the core's events of the call."""
    from tas.events import load_timelines

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        timelines = await load_timelines(server.db, since=since - timedelta(seconds=1))
        kinds = {e.kind for t in timelines for e in t.entries if e.source == "core"}
        if "NEW_VOICEMAIL" in kinds and "CALL_ENDED" in kinds:
            return
        await asyncio.sleep(0.1)


def _hp(address: tuple[str, int]) -> str:
    return f"{address[0]}:{address[1]}"


@click.command("demo")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="TOML settings.")
@click.option("--once", is_flag=True, help="Exit after the story instead of serving on.")
@click.option("--log-level", default="WARNING", show_default=True)
def demo(config_file: Path | None, once: bool, log_level: str) -> None:
    """Run the voicemail fallback story on the embedded default, then keep serving."""
    from tas.logs import configure_logging
    from tas.transport.loop import run

    settings = ephemeral(settings_for_cli(config_file))
    if not settings.admin.ladder_messages:  # the demo is where the console gets looked at
        settings.admin.ladder_messages = 50
    configure_logging(log_level, "kv")
    message = run(run_demo(settings, keep_serving=not once))
    if message is None:
        raise click.ClickException("the story did not end with a stored voicemail")
