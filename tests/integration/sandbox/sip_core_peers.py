"""Scripted SIP peers for the sandbox core tests: a caller (UAC over UDP) and a TAS (UAS over
TLS that answers, rejects, rings or loops the call back as leg 3), both real SipStacks."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from registrations.wgtwo.events.v0 import events_pb2
from tas.config import SandboxSettings, Settings, SipSettings
from tas.sandbox.grpc_server import ControlPlane
from tas.sandbox.sip_core import SandboxCore
from tas.sip.call import Call
from tas.sip.events import (
    CallAnswered,
    CallCancelled,
    CallEnded,
    CallFailed,
    CallProgress,
    Event,
    IncomingCall,
)
from tas.sip.timers import TimerConfig
from tas.transport.stack import SipStack, StackOptions
from tas.transport.tls import client_context, ensure_self_signed, server_context

E = TypeVar("E")
FAST = TimerConfig(t1=0.05, t2=0.4, t4=0.5)
# RTP ports of these tests sit above Linux's ephemeral range (32768-60999) and away from the
# media default (20000-29999), so other processes on the machine do not hold them.
_ports = itertools.count(63000, 2)


def sdp(port: int | None = None) -> bytes:
    """A PCMU offer/answer on a loopback port nobody reads (signalling-only tests)."""
    port = port or next(_ports)
    return (
        b"v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        b"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
        b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n" % port
    )


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not condition():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


class Peer:
    """A SipStack whose events land in a list (and an asyncio queue per kind)."""

    def __init__(self, stack: SipStack) -> None:
        self.stack = stack
        self.events: list[Event] = []
        stack.on_event = self._on_event

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        self.handle(event)

    def handle(self, event: Event) -> None:
        pass

    def act(self, action: Callable[[float], object]) -> None:
        action(self.stack.now())
        self.stack.flush()

    def of(self, kind: type[E], call: Call | None = None) -> list[E]:
        return [
            e
            for e in self.events
            if isinstance(e, kind) and (call is None or getattr(e, "call", None) is call)
        ]

    async def wait_for(self, kind: type[E], call: Call | None = None, within: float = 5.0) -> E:
        await eventually(lambda: bool(self.of(kind, call)), within)
        return self.of(kind, call)[0]


class Caller(Peer):
    """A UAC placing calls into the core over UDP."""

    def __init__(self, stack: SipStack, core: tuple[str, int]) -> None:
        super().__init__(stack)
        self.core = core

    def call(
        self, callee: str, caller: str = "+4712345678", body: bytes | None = None, **kw: object
    ) -> Call:
        host, port = self.core
        ep = self.stack.endpoint
        call = ep.invite(
            f"sip:{callee}@{host}:{port}",
            self.stack.now(),
            from_uri=f"sip:{caller}@127.0.0.1",
            body=sdp() if body is None else body,
            **kw,  # type: ignore[arg-type]
        )
        self.stack.flush()
        return call

    async def outcome(self, call: Call, within: float = 5.0) -> CallAnswered | CallFailed:
        """CallAnswered or CallFailed of ``call``."""
        await eventually(
            lambda: bool(self.of(CallAnswered, call) or self.of(CallFailed, call)), within
        )
        found: list[CallAnswered | CallFailed] = [*self.of(CallAnswered, call)]
        return (found + [*self.of(CallFailed, call)])[0]


@dataclass
class TasScript:
    """What the scripted TAS does with an INVITE: ``answer`` (after ``delay``), ``reject``
    (``status``), ``ring`` (180 forever) or ``loop`` (leg 3 back to the core)."""

    action: str = "answer"
    status: int = 486
    delay: float = 0.0
    leg3_target: str | None = None  # Request-URI number of leg 3 (default: prefix stripped)
    strip: str = ""  # prefix to strip for leg 3


@dataclass
class Loop:
    leg2: Call
    leg3: Call


class ScriptedTas(Peer):
    """A TAS over TLS: records every INVITE, acts per :class:`TasScript`."""

    def __init__(self, stack: SipStack, core_tls: tuple[str, int]) -> None:
        super().__init__(stack)
        self.script = TasScript()
        self.invites: list[Call] = []
        self.loops: list[Loop] = []
        self.partners: dict[Call, Call] = {}  # leg 2 <-> leg 3 of each loop
        self.core_tls = core_tls

    @property
    def uri(self) -> str:
        host, port = self.stack.local["TLS"]
        return f"sips:{host}:{port}"

    def handle(self, event: Event) -> None:
        ep, now = self.stack.endpoint, self.stack.now()
        if isinstance(event, IncomingCall):
            call = event.call
            self.invites.append(call)
            script = self.script
            if script.action == "reject":
                ep.reject(call, script.status, now)
            elif script.action == "ring":
                ep.ring(call, now)
            elif script.action == "answer":
                ep.ring(call, now)
                self.stack.loop.call_later(script.delay, self._answer, call)
            elif script.action == "loop":
                self._loop(call)
        elif isinstance(event, CallProgress | CallAnswered | CallFailed):
            self._relay(event)
        elif isinstance(event, CallEnded | CallCancelled):
            self._hang_up_partner(event.call)

    def _answer(self, call: Call) -> None:
        if call.state in ("incoming", "early"):
            self.act(lambda now: self.stack.endpoint.answer(call, sdp(), now))

    def _loop(self, leg2: Call) -> None:
        """Leg 3 over the connection leg 2 came on, with leg 2's Session-ID (RFC 7989 §6)."""
        user = str(getattr(leg2.invite.uri, "user", ""))
        target = self.script.leg3_target or "+" + user[1 + len(self.script.strip) :]
        host, port = self.core_tls
        leg3 = self.stack.endpoint.invite(
            f"sip:{target}@{host}:{port};transport=tls",
            self.stack.now(),
            peer=leg2.peer,
            from_uri=str(leg2.invite.from_.uri),
            body=leg2.remote_sdp,
            headers={"Session-ID": leg2.invite.headers.get("Session-ID") or ""},
        )
        self.partners[leg2], self.partners[leg3] = leg3, leg2
        self.loops.append(Loop(leg2, leg3))

    def _relay(self, event: CallProgress | CallAnswered | CallFailed) -> None:
        leg3 = event.call
        leg2 = self.partners.get(leg3)
        if leg2 is None or leg2.state not in ("incoming", "early"):
            if isinstance(event, CallAnswered) and leg2 is not None:
                self.stack.endpoint.bye(leg3, self.stack.now())
            return
        ep, now = self.stack.endpoint, self.stack.now()
        if isinstance(event, CallProgress) and event.response.status >= 180:
            ep.ring(leg2, now, event.response.status, event.response.body)
        elif isinstance(event, CallAnswered):
            ep.answer(leg2, event.response.body, now)
        elif isinstance(event, CallFailed):
            ep.reject(leg2, event.response.status, now)

    def _hang_up_partner(self, call: Call) -> None:
        partner = self.partners.get(call)
        if partner is None or partner.ended:
            return
        ep, now = self.stack.endpoint, self.stack.now()
        if partner.state in ("answered", "confirmed") or (
            partner.role == "uac" and partner.state in ("calling", "early")
        ):
            ep.bye(partner, now)


@dataclass
class Sandbox:
    core: SandboxCore
    plane: ControlPlane
    caller: Caller
    tas: ScriptedTas
    cert: Path
    settings: Settings
    extra: list[SipStack] = field(default_factory=list)

    def register(self, number: str, route: str, mo: str = "", mt: str = "") -> None:
        self.plane.breakouts.upsert(
            number, route.upper(), self.tas.uri, mo, mt, now=self.plane.clock()
        )

    def voice_events(self, call_id: str | None = None) -> list[events_pb2.VoiceEvent]:
        found = [
            stored.payload
            for stored in self.plane.bus.history(self.plane.clock())
            if stored.payload.WhichOneof("event") == "voice_event"
        ]
        return [e.voice_event for e in found if call_id is None or e.voice_event.call_id == call_id]

    def event_names(self, call_id: str) -> list[str]:
        names = events_pb2.VoiceEvent.VoiceEventType
        return [names.Name(e.type) for e in self.voice_events(call_id)]

    def only_call_id(self) -> str:
        ids = {e.call_id for e in self.voice_events()}
        assert len(ids) == 1, ids
        return ids.pop()

    async def ended(self, within: float = 5.0) -> None:
        """Every call of the core has ended (CALL_ENDED published)."""
        await eventually(lambda: not self.core.calls, within)


@asynccontextmanager
async def sandbox(
    tmp_path: Path, engine: object, **sandbox_fields: object
) -> AsyncIterator[Sandbox]:
    """Control plane (no gRPC listener needed) + core on ephemeral ports + caller + TAS."""
    fields: dict[str, object] = {
        "sip_port": 0,
        "sip_tls_port": 0,
        "answer_delay": 0.05,
        "no_answer_timeout": 0.5,
    }
    fields.update(sandbox_fields)
    settings = Settings(
        data_dir=tmp_path,
        sip=SipSettings(tls=["127.0.0.1:0"], t1=FAST.t1, t2=FAST.t2, t4=FAST.t4),
        sandbox=SandboxSettings(**fields),  # type: ignore[arg-type]
    )
    cert, key = ensure_self_signed(tmp_path / "tls", "127.0.0.1")
    plane = ControlPlane(settings.sandbox)
    core = SandboxCore(settings, plane, engine)  # type: ignore[arg-type]
    await core.start()
    caller_stack = await SipStack.open(
        StackOptions(udp=("127.0.0.1:0",), tcp=(), user="caller", timers=FAST)
    )
    tas_stack = await SipStack.open(
        StackOptions(
            udp=(),
            tcp=(),
            tls=("127.0.0.1:0",),
            server_ssl=server_context(cert, key),
            client_ssl=client_context(cert),
            user="tas",
            timers=FAST,
        )
    )
    box = Sandbox(
        core,
        plane,
        Caller(caller_stack, core.address("UDP")),
        ScriptedTas(tas_stack, core.address("TLS")),
        cert,
        settings,
    )
    try:
        yield box
    finally:
        await core.stop(grace=1.0)
        await caller_stack.close()
        await tas_stack.close()
        for stack in box.extra:
            await stack.close()
