"""The sandbox's SIP core: routes calls to simulated handsets and to the TAS by registration.

Callers (SIPp, the test-call harness, any UA) send ``INVITE sip:+4799990000@<sip_host>:
<sip_port>`` over UDP or TCP. The core decides with :func:`~tas.sandbox.routes.route_call`
(the registrations held in the :class:`~tas.sandbox.grpc_server.ControlPlane`) and bridges the
caller's leg to its outgoing legs (:class:`~tas.sandbox.legs.Bridge`)::

    DIRECT    handset only
    LOOP      TAS first (leg 2, MO/MT prefix); the TAS sends the call back (leg 3, same
              Session-ID) and the core continues to the handset (leg 4); or the TAS answers or
              rejects leg 2 itself
    FORK      handset and TAS at once; the first 2xx wins, the other gets CANCEL (or BYE)
    FALLBACK  handset; the TAS (MT prefix, Diversion and History-Info) when it is busy or
              unanswered after ``no_answer_timeout`` s; CALL_FWD_VOICEMAIL then
    INGRESS   a call the TAS places (over TLS, no known Session-ID) to a number registered
              with INGRESS goes to the handset; other numbers get 403

Every INVITE to the TAS goes over TLS to the registered ``sips:`` host:port and carries::

    Session-ID: <call_id>;remote=00000000000000000000000000000000   (RFC 7989)
    P-Asserted-Identity: <sip:+CALLER@sip_host>                     (caller is a number)
    Privacy: id            (hidden caller, RFC 3325 §9.3; From is then anonymous, RFC 3323)
    Require: 100rel        (subscriber in ``[sandbox] require_100rel``, RFC 3262 §4)
    Diversion: <sip:+CALLEE@sip_host>;reason=user-busy|no-answer;counter=1   (FALLBACK)
    History-Info: <sip:+CALLEE@sip_host>;index=1,
                  <sips:+<prefix>CALLEE@tas;cause=486|408>;index=1.1;mp=1   (FALLBACK)

which FALLBACK headers is ``[sandbox] fallback_headers`` (both by default). A caller is hidden
when its INVITE asks (``Privacy: id``/``header``/``user``, an anonymous From) or its number is
in ``[sandbox] hidden_callers``; its VOICE_EVENTs then carry ``callerIdHidden``.

``call_id`` (32 hex digits) is also the ``call_id`` of every VOICE_EVENT of the call, so the TAS
can correlate. A leg 3 is any INVITE to the core whose Session-ID (local or remote UUID) names
a call in progress; its Request-URI number, with the prefix removed, picks the handset.
The core relays SDP unchanged: RTP flows between the endpoints (caller, TAS, handset).
Calls without an SDP offer get 488 (the core cannot relay an answer in an ACK).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path

from media.session import MediaEngine
from registrations.model import Registration
from tas.calls.routing import e164_of, user_of
from tas.certificates import own_certificate
from tas.config import Settings
from tas.sandbox.grpc_server import ControlPlane
from tas.sandbox.legs import Bridge
from tas.sandbox.routes import (
    Plan,
    Refusal,
    Strategy,
    diversion_headers,
    format_session_id,
    parse_session_id,
    route_call,
    route_from_tas,
    strip_prefix,
)
from tas.sandbox.subscribers import Handsets
from tas.sip.b2bua import TimerHandle
from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.errors import LocalProtocolError
from tas.sip.events import Event, IncomingCall, RequestReceived
from tas.sip.message import Request
from tas.sip.privacy import caller_hidden
from tas.sip.session_timer import SessionTimerConfig
from tas.sip.timers import TimerConfig
from tas.sip.uri import SipURI, parse_uri
from tas.transport.stack import SipStack, StackOptions
from tas.transport.tls import client_context, server_context

__all__ = ["CoreCall", "SandboxCore"]

log = logging.getLogger(__name__)
_ANONYMOUS_FROM = "sip:anonymous@anonymous.invalid"  # a hidden caller's From, RFC 3323 §4.1.1.3


class CoreCall:
    """One call through the core: its ``call_id``, routing plan, bridges and a short trace."""

    def __init__(self, core: SandboxCore, call_id: str, plan: Plan, inbound: Call) -> None:
        self.core = core
        self.call_id = call_id
        self.plan = plan
        self.hidden = caller_hidden(inbound.invite) or plan.caller in core.sandbox.hidden_callers
        self.primary = Bridge(core.host, inbound, self)
        self.bridges: list[Bridge] = [self.primary]
        self.trace: list[str] = [f"{plan.strategy.value} {plan.caller} -> {plan.callee}"]
        self.rang = False
        self.answered_at: float | None = None
        self.status: int | None = None  # final failure status; None when answered or open
        self.ended = False

    def from_uri(self, inbound: Call) -> str:
        """The From of the legs we place: the caller's; anonymous when hidden (RFC 3323)."""
        return _ANONYMOUS_FROM if self.hidden else str(inbound.invite.from_.uri)

    # -- BridgeOwner --------------------------------------------------------------------------

    def ringing(self, bridge: Bridge) -> None:
        if bridge is self.primary and not self.rang:
            self.rang = True
            self.publish("CALL_RINGING")

    def answered(self, bridge: Bridge) -> None:
        if bridge is self.primary:
            self.answered_at = self.core.stack.now()
            self.trace.append("answered")
            self.publish("CALL_ANSWERED")

    def finished(self, bridge: Bridge, status: int | None) -> None:
        if bridge is not self.primary:
            return
        self.status = status
        self.ended = True
        self.trace.append(f"ended {status}" if status else "ended")
        self.publish("CALL_ENDED")
        self.core._forget(self)

    def publish(self, kind: str) -> None:
        """A VOICE_EVENT of this call (never lets a publishing failure break the call)."""
        plan = self.plan
        try:
            self.core.plane.publish_voice_event(
                self.call_id,
                kind,
                plan.caller or "",
                plan.callee,
                owner=plan.owner,
                caller_id_hidden=self.hidden,
            )
        except Exception:
            log.exception("call %s: cannot publish %s", self.call_id, kind)

    def __repr__(self) -> str:
        return f"<CoreCall {self.call_id} {self.plan.strategy.value} {self.plan.callee}>"


class SandboxCore:
    """The sandbox SIP core. ``await start()`` binds it; ``await stop()`` ends every call.

    ``settings.sandbox`` holds its addresses, timeout and handset behaviours;
    ``settings.sip`` its timers and the TLS certificate it presents and trusts for the TAS.
    """

    def __init__(self, settings: Settings, plane: ControlPlane, engine: MediaEngine) -> None:
        self.settings = settings
        self.sandbox = settings.sandbox
        self.plane = plane
        self.engine = engine
        sb = self.sandbox
        self.timers = TimerConfig(t1=settings.sip.t1, t2=settings.sip.t2, t4=settings.sip.t4)
        self.handsets = Handsets(
            engine,
            host=sb.sip_host,
            behaviours=sb.subscribers,
            default=sb.default_behaviour,
            answer_delay=sb.answer_delay,
            timers=self.timers,
        )
        self.calls: dict[str, CoreCall] = {}  # by call_id (the Session-ID UUID)
        self.finished: deque[CoreCall] = deque(maxlen=256)
        self._stack: SipStack | None = None
        self._idle = asyncio.Event()  # set while no call is in progress
        self._idle.set()

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def host(self) -> _StackHost:
        return _StackHost(self.stack)

    @property
    def stack(self) -> SipStack:
        if self._stack is None:
            raise RuntimeError("sandbox SIP core not started")
        return self._stack

    async def start(self) -> None:
        """Start the handsets, then listen on UDP+TCP ``sip_host:sip_port`` and TLS
        ``sip_host:sip_tls_port``."""
        if self._stack is not None:
            raise RuntimeError("sandbox SIP core already started")
        sb = self.sandbox
        listen = f"{sb.sip_host}:{sb.sip_port}"
        cert, key = self._certificate()
        tls = (f"{sb.sip_host}:{sb.sip_tls_port}",) if sb.sip_tls_port is not None else ()
        options = StackOptions(
            udp=(listen,),
            tcp=(listen,),
            tls=tls,
            server_ssl=server_context(cert, key) if tls else None,
            client_ssl=self._tas_context(cert),
            user="core",
            user_agent="tas-sandbox-core",
            timers=self.timers,
            session_timer=SessionTimerConfig(  # RFC 4028, as the operator's core asks
                session_expires=self.settings.sip.session_expires, min_se=self.settings.sip.min_se
            ),
            reliable_provisionals=self.settings.sip.reliable_provisionals,  # RFC 3262
        )
        await self.handsets.start()
        try:
            self._stack = await SipStack.open(options)
        except BaseException:
            await self.handsets.stop()
            raise
        self._stack.on_event = self._on_event
        where = " ".join(f"{n.lower()}={h}:{p}" for n, (h, p) in self._stack.local.items())
        log.info("sandbox SIP core listening %s handsets=%s:%s", where, *self.handsets.address)

    async def stop(self, grace: float = 2.0) -> None:
        """CANCEL/BYE/503 every leg, wait up to ``grace`` s for the calls to end, close."""
        stack = self._stack
        if stack is None:
            return
        now = stack.now()
        for call in list(self.calls.values()):
            for bridge in call.bridges:
                inbound = bridge.inbound
                for leg in list(bridge.outs):
                    bridge.hang_up(leg, now)
                with contextlib.suppress(LocalProtocolError):
                    if inbound.state in ("incoming", "early"):
                        stack.endpoint.reject(inbound, 503, now)
                        bridge.finish(503)
                    elif inbound.state in ("answered", "confirmed"):
                        stack.endpoint.bye(inbound, now)
        stack.flush()
        if self.calls:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), grace)
        await stack.close()
        self._stack = None
        await self.handsets.stop()

    def address(self, transport: str = "UDP") -> tuple[str, int]:
        """Where the core listens for ``transport`` ("UDP", "TCP", "TLS")."""
        return self.stack.local[transport]

    def _certificate(self) -> tuple[Path, Path]:
        """The TLS certificate of ``tas serve`` (configured, or the one generated under
        ``data_dir/tls``): the sandbox presents it and trusts it for the TAS by default."""
        return own_certificate(self.settings)

    def _tas_context(self, cert: Path) -> ssl.SSLContext:
        sb = self.sandbox
        if not sb.verify_tas:
            log.warning("sandbox SIP core: TLS certificates of the TAS are NOT verified")
            return client_context(verify=False)
        return client_context(sb.tas_ca_file or cert)

    # -- SIP events ---------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, IncomingCall):
            self._incoming(event.call, event.request)
            return
        if isinstance(event, RequestReceived):
            self.stack.endpoint.respond(event.transaction, 501, self.stack.now())
        # a call's events go to its bridge (the call's listener); no bridge: nothing to do

    def _incoming(self, call: Call, request: Request) -> None:
        ep, now = self.stack.endpoint, self.stack.now()
        callee = e164_of(_user(request.uri))
        if callee is None:
            ep.reject(call, 404, now, "Not Found (the sandbox core routes E.164 numbers)")
            return
        if not call.remote_sdp:
            ep.reject(call, 488, now, "Not Acceptable Here (an SDP offer is required)")
            return
        ids = parse_session_id(request.headers.get("Session-ID"))
        known = self._by_session(ids)
        if known is not None:
            self._leg3(known, call, callee)
            return
        if ids is not None and any(c.call_id in ids for c in self.finished):
            ep.reject(call, 481, now, "Call Does Not Exist (that call has ended)")
            return
        caller = _caller(request)
        plan: Plan | Refusal
        if call.peer.transport == "TLS":
            plan = route_from_tas(caller, callee, self._registrations(callee))
        else:
            caller_regs = self._registrations(caller) if caller else []
            plan = route_call(caller, callee, caller_regs, self._registrations(callee))
        if isinstance(plan, Refusal):
            log.info("refused call to %s: %s", callee, plan.reason)
            ep.reject(call, plan.status, now, f"Forbidden ({plan.reason})")
            return
        core_call = CoreCall(self, uuid.uuid4().hex, plan, call)
        self.calls[core_call.call_id] = core_call
        self._idle.clear()
        log.info("call %s: %s %s -> %s", core_call.call_id, plan.strategy.value, caller, callee)
        core_call.publish("CALL_INITIATED")
        self._route(core_call)

    def _route(self, core_call: CoreCall) -> None:
        plan, bridge = core_call.plan, core_call.primary
        strategy = plan.strategy
        if strategy is Strategy.LOOP:
            self._to_tas(core_call, bridge)
            return
        handset = self._to_handset(core_call, bridge, plan.callee)
        if strategy is Strategy.FORK:
            self._to_tas(core_call, bridge, advisory=True)
        elif strategy is Strategy.FALLBACK:
            bridge.divert_on = handset
            bridge.on_divert = lambda reason: self._divert(core_call, reason)
            bridge.arm_no_answer(self.sandbox.no_answer_timeout)

    def _divert(self, core_call: CoreCall, reason: str) -> None:
        """FALLBACK: the handset is busy or did not answer; the TAS takes the call."""
        core_call.trace.append(f"fallback {reason}")
        core_call.publish("CALL_FWD_VOICEMAIL")
        self._to_tas(core_call, core_call.primary, diversion=reason)

    def _leg3(self, core_call: CoreCall, call: Call, number: str) -> None:
        """The TAS sends the call back (leg 3): continue to the handset (leg 4)."""
        target = strip_prefix(number, core_call.plan.prefix, core_call.plan.callee)
        core_call.trace.append(f"leg 3 -> {target}")
        log.info("call %s: leg 3 from the TAS to %s", core_call.call_id, target)
        bridge = Bridge(self.host, call, core_call)
        core_call.bridges.append(bridge)
        self._to_handset(core_call, bridge, target)

    # -- outgoing legs ------------------------------------------------------------------------

    def _to_handset(self, core_call: CoreCall, bridge: Bridge, number: str) -> Call:
        inbound = bridge.inbound
        leg = self.stack.endpoint.invite(
            self.handsets.uri_for(number),
            self.stack.now(),
            from_uri=core_call.from_uri(inbound),
            body=inbound.remote_sdp,
            headers={"Session-ID": format_session_id(core_call.call_id)},
        )
        bridge.add(leg)
        core_call.trace.append(f"handset {number}")
        return leg

    def _to_tas(
        self,
        core_call: CoreCall,
        bridge: Bridge,
        diversion: str | None = None,
        *,
        advisory: bool = False,
    ) -> None:
        """The INVITE to the registered TAS (leg 2 of LOOP, the TAS leg of FORK/FALLBACK)."""
        plan, host = core_call.plan, self.sandbox.sip_host
        reg = plan.registration
        assert reg is not None, "only plans with a registration go to the TAS"
        headers = {"Session-ID": format_session_id(core_call.call_id)}
        if plan.caller is not None:  # within the trust domain, hidden or not (RFC 3325 §9.1)
            headers["P-Asserted-Identity"] = f"<sip:{plan.caller}@{host}>"
        inbound = bridge.inbound
        if core_call.hidden:  # RFC 3325 §9.3: the TAS is in the trust domain, the From not
            headers["Privacy"] = "id"
        if plan.owner in self.sandbox.require_100rel:  # RFC 3262 §4: every 1xx reliable
            headers["Require"] = "100rel"
        uri = reg.sip_uri
        try:
            uri = str(_tas_uri(reg, plan.tas_number))
            if diversion is not None:
                kinds = self.sandbox.fallback_headers
                headers.update(diversion_headers(diversion, plan.callee, host, uri, kinds))
            leg = self.stack.endpoint.invite(
                uri,
                self.stack.now(),
                from_uri=core_call.from_uri(inbound),
                body=inbound.remote_sdp,
                headers=headers,
            )
        except LocalProtocolError as exc:  # an unroutable sip_uri: fail like a dead TAS
            log.warning("call %s: cannot reach the TAS at %s: %s", core_call.call_id, uri, exc)
            bridge.not_placed(503, advisory=advisory)
            return
        bridge.add(leg, advisory=advisory)
        core_call.trace.append(f"TAS {uri}")

    # -- bookkeeping --------------------------------------------------------------------------

    def _registrations(self, number: str | None) -> list[Registration]:
        if number is None:
            return []
        return [active.registration for active in self.plane.registrations_for(number)]

    def _by_session(self, ids: tuple[str, str] | None) -> CoreCall | None:
        if ids is None:
            return None
        local, remote = ids
        return self.calls.get(local) or self.calls.get(remote)

    def _forget(self, core_call: CoreCall) -> None:
        if self.calls.pop(core_call.call_id, None) is not None:
            self.finished.append(core_call)
        if not self.calls:
            self._idle.set()


class _StackHost:
    """A :class:`~tas.sip.b2bua.BridgeHost` over the running stack."""

    __slots__ = ("stack",)

    def __init__(self, stack: SipStack) -> None:
        self.stack = stack

    @property
    def endpoint(self) -> Endpoint:
        return self.stack.endpoint

    def now(self) -> float:
        return self.stack.now()

    def flush(self) -> None:
        self.stack.flush()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        return self.stack.loop.call_later(delay, callback)


def _user(uri: object) -> str | None:
    return uri.user if isinstance(uri, SipURI) else None


def _caller(request: Request) -> str | None:
    """The caller's E.164 number: P-Asserted-Identity (RFC 3325) when it parses, else From."""
    asserted = e164_of(user_of(request.headers.get("P-Asserted-Identity")))
    return asserted or e164_of(_user(request.from_.uri))


def _tas_uri(registration: Registration, number: str) -> SipURI:
    """``sips:+<prefix><number>@host[:port]`` from the registered ``sips:`` URI."""
    target = parse_uri(registration.sip_uri)
    if not isinstance(target, SipURI):
        raise LocalProtocolError(f"registered URI is no SIP URI: {registration.sip_uri}")
    return SipURI(target.host, user=number, port=target.port, scheme="sips")
