"""Composition root of ``tas serve``: the SIP stack and, for now, a simple INVITE policy.

:func:`serve` binds the listeners from :class:`~tas.config.SipSettings` (a self-signed TLS
certificate is generated under ``data_dir`` when none is configured), answers OPTIONS (in the
endpoint), and hands calls to :class:`PolicyApp`: answer with 200 + a minimal PCMU SDP answer
and keep the call until BYE or ``max_duration`` (or ``hangup_after`` seconds), or reject with
``reject_status``. SIGINT/SIGTERM stop it gracefully: active calls get BYE first. The call
application replaces :class:`PolicyApp` later; the media engine is wired here then.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import signal
from collections.abc import Callable

from tas.config import Settings
from tas.sip.call import Call
from tas.sip.events import (
    CallCancelled,
    CallEnded,
    Event,
    IncomingCall,
    ReInvite,
    RequestReceived,
)
from tas.sip.timers import TimerConfig
from tas.transport.stack import SipStack, StackOptions
from tas.transport.tls import ensure_self_signed, server_context

__all__ = ["serve", "PolicyApp", "stack_options", "sdp_answer"]

log = logging.getLogger("tas.server")

_AUDIO = re.compile(rb"^m=audio +\d+ +RTP/AVP((?: +\d+)+)\s*$", re.M)
_TELEPHONE_EVENT = re.compile(rb"^a=rtpmap: *(\d+) +telephone-event/8000", re.M | re.I)


def sdp_answer(offer: bytes, host: str, port: int, session: int) -> bytes | None:
    """A minimal RFC 3264 answer taking PCMU (+ telephone-event) from ``offer``; an offer
    when ``offer`` is empty (delayed offer, §13.2.1); None when PCMU is not offered."""
    events = b""
    if offer:
        media = _AUDIO.search(offer)
        if media is None or b"0" not in media.group(1).split():
            return None
        te = _TELEPHONE_EVENT.search(offer)
        if te is not None:
            pt = te.group(1)
            events = b"a=rtpmap:" + pt + b" telephone-event/8000\r\na=fmtp:" + pt + b" 0-16\r\n"
            fmt = b"0 " + pt
        else:
            fmt = b"0"
    else:
        fmt = b"0 101"
        events = b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
    h = host.encode()
    return (
        b"v=0\r\no=tas %d %d IN IP4 %s\r\ns=tas\r\nc=IN IP4 %s\r\nt=0 0\r\n"
        b"m=audio %d RTP/AVP %s\r\na=rtpmap:0 PCMU/8000\r\n%sa=ptime:20\r\na=sendrecv\r\n"
        % (session, session, h, h, port, fmt, events)
    )


class PolicyApp:
    """The transaction user of ``tas serve`` until the call application lands."""

    def __init__(self, stack: SipStack, settings: Settings) -> None:
        self.stack = stack
        self.policy = settings.invite
        self.media_host = settings.media.host
        lo, hi = settings.media.port_min, settings.media.port_max
        self._ports = itertools.cycle(range(lo + lo % 2, hi, 2))
        self._sessions = itertools.count(1)
        self.active: dict[Call, asyncio.TimerHandle] = {}
        self.idle = asyncio.Event()
        self.idle.set()
        self.answered = 0

    def on_event(self, event: Event) -> None:
        ep, now = self.stack.endpoint, self.stack.now()
        if isinstance(event, IncomingCall):
            self._incoming(event.call, now)
        elif isinstance(event, CallEnded | CallCancelled):
            handle = self.active.pop(event.call, None)
            if handle is not None:
                handle.cancel()
            if not self.active:
                self.idle.set()
            log.debug("event=call_end call_id=%s", event.call.call_id)
        elif isinstance(event, ReInvite):
            ep.answer_reinvite(event.call, event.call.local_sdp, now)  # keep our media as is
        elif isinstance(event, RequestReceived):
            ep.respond(event.transaction, 200, now)

    def _incoming(self, call: Call, now: float) -> None:
        ep = self.stack.endpoint
        policy = self.policy
        if policy.action == "reject":
            ep.reject(call, policy.reject_status, now)
            return
        answer = sdp_answer(
            call.remote_sdp, self.media_host, next(self._ports), next(self._sessions)
        )
        if answer is None:
            ep.reject(call, 488, now)
            return
        ep.answer(call, answer, now)
        self.answered += 1
        hold = policy.max_duration
        if policy.hangup_after is not None:
            hold = min(hold, policy.hangup_after)
        self.active[call] = self.stack.loop.call_later(hold, self._hang_up, call)
        self.idle.clear()

    def _hang_up(self, call: Call) -> None:
        self.active.pop(call, None)
        if not self.active:
            self.idle.set()
        if not call.ended:
            self.stack.endpoint.bye(call, self.stack.now())
            self.stack.flush()

    async def shutdown(self, grace: float = 5.0) -> None:
        """BYE every active call and wait (up to ``grace`` s) for them to end."""
        ep = self.stack.endpoint
        now = self.stack.now()
        for call in list(ep.calls.values()):
            if call.state in ("answered", "confirmed"):
                ep.bye(call, now)
            elif call.state in ("incoming", "early") and call.role == "uas":
                ep.reject(call, 503, now)
        self.stack.flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), grace)
        for handle in self.active.values():
            handle.cancel()


def stack_options(settings: Settings) -> StackOptions:
    sip = settings.sip
    server_ssl = None
    if sip.tls:
        cert, key = sip.tls_cert, sip.tls_key
        if cert is None or key is None:
            host = sip.tls[0].rpartition(":")[0].strip("[]") or "127.0.0.1"
            cert, key = ensure_self_signed(settings.data_dir / "tls", host)
        server_ssl = server_context(cert, key)
    return StackOptions(
        udp=tuple(sip.udp),
        tcp=tuple(sip.tcp),
        tls=tuple(sip.tls),
        server_ssl=server_ssl,
        public_host=sip.public_host,
        user_agent=sip.user_agent,
        timers=TimerConfig(t1=sip.t1, t2=sip.t2, t4=sip.t4),
    )


async def serve(settings: Settings, *, started: Callable[[SipStack], None] | None = None) -> None:
    """Run until SIGINT/SIGTERM, then BYE active calls and close."""
    stack = await SipStack.open(stack_options(settings))
    app = PolicyApp(stack, settings)
    stack.on_event = app.on_event
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    listening = " ".join(f"{name.lower()}={h}:{p}" for name, (h, p) in stack.local.items())
    log.info("event=ready %s policy=%s", listening, settings.invite.action)
    if started is not None:
        started(stack)
    try:
        await stop.wait()
        log.info("event=stopping active_calls=%d", len(stack.endpoint.calls))
        await app.shutdown()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await stack.close()
        log.info("event=stopped answered=%d", app.answered)
