"""Simulated handsets of the sandbox's subscribers: one SIP UA on loopback answers for all.

Each number behaves as configured (``SandboxSettings.subscribers``, else
``default_behaviour``; changeable at run time with :meth:`Handsets.set`)::

    answer          ring (180), answer after ``answer_delay`` s with a tone on real RTP
    answer:2.5      the same after 2.5 s
    echo[:2.5]      answer the same way, then send back what the caller sends (RTP echo)
    busy            486 Busy Here
    reject          603 Decline
    unavailable     480 Temporarily Unavailable (switched off, out of coverage)
    no-answer       ring (180) until the call is cancelled

The core reaches a handset with ``INVITE sip:+4799990000@<handsets' host:port>`` over UDP
(:meth:`Handsets.uri_for`), so every leg of the sandbox is real SIP. An answering handset
opens a :class:`~media.session.MediaSession` on the SDP offer and plays :data:`TONE_HZ`
(or echoes) until the call ends. :attr:`Handsets.history` keeps what each handset saw, for tests and demos.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from media.errors import MediaError
from media.session import MediaEngine, MediaSession
from media.tones import tone
from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.errors import LocalProtocolError
from tas.sip.events import CallCancelled, CallEnded, Event, IncomingCall, ReInvite
from tas.sip.timers import TimerConfig
from tas.sip.uri import SipURI
from tas.transport.stack import SipStack, StackOptions

__all__ = ["BEHAVIOURS", "TONE_HZ", "Behaviour", "HandsetCall", "Handsets", "parse_behaviour"]

log = logging.getLogger(__name__)

TONE_HZ = 440.0  # what an answering handset plays
_TONE = tone([TONE_HZ], 1.0)
_REJECTIONS = {"busy": 486, "reject": 603, "unavailable": 480}
BEHAVIOURS = ("answer", "echo", "busy", "reject", "unavailable", "no-answer")
_ANSWERING = ("answer", "echo")

_Action = Callable[[Endpoint, float], None]
_Coro = Coroutine[Any, Any, Any]


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What a handset does with an incoming call."""

    kind: str  # one of BEHAVIOURS
    delay: float = 0.0  # seconds before answering ("answer" and "echo")

    @property
    def status(self) -> int | None:
        """The final failure status sent at once (busy/reject/unavailable), else None."""
        return _REJECTIONS.get(self.kind)

    @property
    def answers(self) -> bool:
        return self.kind in _ANSWERING

    def __str__(self) -> str:
        return f"{self.kind}:{self.delay:g}" if self.answers else self.kind


def parse_behaviour(text: str, answer_delay: float = 1.0) -> Behaviour:
    """``answer[:<seconds>]``, ``echo[:<seconds>]``, ``busy``, ``reject``, ``unavailable``,
    ``no-answer``; ValueError with the reason otherwise."""
    kind, colon, arg = text.strip().lower().replace("_", "-").partition(":")
    if kind not in BEHAVIOURS:
        raise ValueError(f"unknown handset behaviour {text!r} (one of {', '.join(BEHAVIOURS)})")
    if not colon:
        return Behaviour(kind, answer_delay if kind in _ANSWERING else 0.0)
    if kind not in _ANSWERING:
        raise ValueError(f"handset behaviour {kind!r} takes no argument: {text!r}")
    try:
        delay = float(arg)
    except ValueError:
        raise ValueError(f"answer delay is not a number of seconds: {text!r}") from None
    if not 0.0 <= delay < 86400.0:
        raise ValueError(f"answer delay out of range [0, 86400) s: {text!r}")
    return Behaviour(kind, delay)


@dataclass(slots=True)
class HandsetCall:
    """One call a handset received; ``outcome`` moves ringing -> answered -> ended, or ends
    as busy / rejected / unavailable / cancelled / failed."""

    number: str
    behaviour: Behaviour
    sip_call_id: str
    session_id: str | None
    outcome: str = "ringing"
    media: MediaSession | None = field(default=None, repr=False)


class Handsets:
    """The SIP UA playing every subscriber's handset. ``await start()`` before use."""

    def __init__(
        self,
        engine: MediaEngine,
        *,
        host: str = "127.0.0.1",
        behaviours: Mapping[str, str] | None = None,
        default: str = "answer",
        answer_delay: float = 1.0,
        timers: TimerConfig | None = None,
        history: int = 256,
    ) -> None:
        self.engine = engine
        self.host = host
        self.answer_delay = answer_delay
        try:
            self.default = parse_behaviour(default, answer_delay)
        except ValueError as exc:
            raise ValueError(f"sandbox.default_behaviour: {exc}") from None
        self._behaviours: dict[str, Behaviour] = {}
        for number, spec in (behaviours or {}).items():
            try:
                self._behaviours[number] = parse_behaviour(spec, answer_delay)
            except ValueError as exc:
                raise ValueError(f"sandbox.subscribers[{number!r}]: {exc}") from None
        self._timers = timers or TimerConfig()
        self.history: deque[HandsetCall] = deque(maxlen=history)
        self.stack: SipStack | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- configuration ------------------------------------------------------------------------

    def set(self, number: str, behaviour: str | Behaviour | None) -> None:
        """Configure one number (None: back to the default)."""
        if behaviour is None:
            self._behaviours.pop(number, None)
        elif isinstance(behaviour, Behaviour):
            self._behaviours[number] = behaviour
        else:
            self._behaviours[number] = parse_behaviour(behaviour, self.answer_delay)

    def behaviour_for(self, number: str) -> Behaviour:
        return self._behaviours.get(number, self.default)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> tuple[str, int]:
        """Bind the handsets' UDP port (an ephemeral one on ``host``); returns it."""
        self.stack = await SipStack.open(
            StackOptions(
                udp=(f"{self.host}:0",),
                tcp=(),
                user="handset",
                user_agent="tas-sandbox-handset",
                timers=self._timers,
            )
        )
        self.stack.on_event = self._on_event
        return self.address

    @property
    def address(self) -> tuple[str, int]:
        if self.stack is None:
            raise RuntimeError("handsets not started")
        return self.stack.local["UDP"]

    def uri_for(self, number: str) -> str:
        host, port = self.address
        return str(SipURI(host, user=number, port=port))

    async def stop(self) -> None:
        """Hang up every handset call and close the UA."""
        stack = self.stack
        if stack is None:
            return
        now = stack.now()
        for call in list(stack.endpoint.calls.values()):
            with contextlib.suppress(LocalProtocolError):
                if call.state in ("answered", "confirmed"):
                    stack.endpoint.bye(call, now)
                elif call.state in ("incoming", "early"):
                    stack.endpoint.reject(call, 480, now)
        stack.flush()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for record in self.history:
            if record.media is not None:
                await record.media.close()
        await stack.close()
        self.stack = None

    # -- SIP ----------------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        """New calls; each call's own events go to its :class:`_HandsetLeg`."""
        if isinstance(event, IncomingCall):
            self._incoming(event.call)

    def _incoming(self, call: Call) -> None:
        assert self.stack is not None
        ep, now = self.stack.endpoint, self.stack.now()
        uri = call.invite.uri
        number = (uri.user if isinstance(uri, SipURI) else None) or ""
        behaviour = self.behaviour_for(number)
        record = HandsetCall(number, behaviour, call.call_id, call.invite.headers.get("Session-ID"))
        leg = call.listener = _HandsetLeg(self, record)
        self.history.append(record)
        log.info("handset %s: incoming call (%s)", number, behaviour)
        status = behaviour.status
        if status is not None:
            record.outcome = behaviour.kind if behaviour.kind != "reject" else "rejected"
            ep.reject(call, status, now)
            return
        if behaviour.answers and not call.remote_sdp:
            record.outcome = "failed"
            ep.reject(call, 488, now, "the sandbox handset needs an SDP offer")
            return
        ep.ring(call, now)
        if behaviour.answers:
            leg.task = self._spawn(self._answer_later(call, record))

    async def _answer_later(self, call: Call, record: HandsetCall) -> None:
        await asyncio.sleep(record.behaviour.delay)
        if call.state not in ("incoming", "early"):
            return
        try:
            session, answer = await MediaSession.create(self.engine, call.remote_sdp)
        except MediaError as exc:
            log.info("handset %s: cannot answer the offer: %s", record.number, exc)
            self._act(lambda ep, now: ep.reject(call, 488, now))
            record.outcome = "failed"
            return
        if call.state not in ("incoming", "early"):  # cancelled while the ports were opened
            await session.close()
            return
        record.media = session
        record.outcome = "answered"
        self._act(lambda ep, now: ep.answer(call, answer.encode(), now))
        log.info("handset %s: answered (%s)", record.number, record.behaviour.kind)
        if record.behaviour.kind == "echo":
            _echo(session)
            return
        with contextlib.suppress(MediaError):
            while not session.closed and await session.play(_TONE):
                pass

    def _reinvite(self, call: Call, record: HandsetCall) -> None:
        assert self.stack is not None
        ep, now = self.stack.endpoint, self.stack.now()
        offer = call.reinvite_in.request.body if call.reinvite_in is not None else b""
        if record.media is None or not offer:
            ep.reject_reinvite(call, 488, now)
            return
        try:
            answer = record.media.update(offer)
        except MediaError:
            ep.reject_reinvite(call, 488, now)
            return
        ep.answer_reinvite(call, answer.encode(), now)

    def _finish(self, leg: _HandsetLeg, outcome: str) -> None:
        task, leg.task = leg.task, None
        if task is not None:
            task.cancel()
        record = leg.record
        record.outcome = outcome
        if record.media is not None:
            self._spawn(record.media.close())

    # -- helpers ------------------------------------------------------------------------------

    def _act(self, action: _Action) -> None:
        """Run ``action(endpoint, now)`` outside an event handler, then flush."""
        stack = self.stack
        if stack is None:
            return
        try:
            action(stack.endpoint, stack.now())
        except LocalProtocolError as exc:
            log.info("handset action skipped: %s", exc)
        stack.flush()

    def _spawn(self, coro: _Coro) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(_logged(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


class _HandsetLeg:
    """The listener of one handset call (tas.sip.listener): its record and answering task."""

    __slots__ = ("handsets", "record", "task")

    def __init__(self, handsets: Handsets, record: HandsetCall) -> None:
        self.handsets = handsets
        self.record = record
        self.task: asyncio.Task[None] | None = None

    def on_event(self, event: Event) -> None:
        if isinstance(event, CallCancelled):
            self.handsets._finish(self, "cancelled")
        elif isinstance(event, CallEnded):
            self.handsets._finish(self, "ended")
        elif isinstance(event, ReInvite):
            self.handsets._reinvite(event.call, self.record)


def _echo(session: MediaSession) -> None:
    """Send every RTP packet back as it came, under our own SSRC (RFC 3550 §5.1)."""
    endpoint = session.endpoint
    session.hand_over_sending()  # the echo is this leg's only RTP stream
    inner = endpoint.on_rtp
    ssrc = secrets.token_bytes(4)

    def echo(data: bytes, now: float) -> None:
        if inner is not None:
            inner(data, now)
        if len(data) >= 12 and not session.closed:
            endpoint.send_rtp(data[:8] + ssrc + data[12:])

    endpoint.on_rtp = echo


async def _logged(coro: _Coro) -> None:
    try:
        await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("handset task failed")
