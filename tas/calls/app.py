"""The call application: the transaction user of ``tas serve`` (issue #5, "call application").

For every INVITE: decode why the leg arrived (:func:`~tas.calls.routing.decode_leg` against
the registrations we hold), pick the action (first matching call rule of :mod:`tas.calls.rules`,
else :func:`~tas.calls.policy.decide` with the stored per-number policies, else the route
type's default), and run it (``ring`` rules: :mod:`tas.calls.rules_follow`):

* ``answer``    announcement or DTMF menu (:mod:`tas.calls.announce`)
* ``forward``   B2BUA (:mod:`tas.calls.b2bua`): ``core`` sends the call back to the core as
                leg 3 (un-prefixed target, same connection, the leg-2 ``Session-ID``); a number
                goes to the core too; a ``sip:``/``sips:`` URI is called directly
* ``voicemail`` :mod:`tas.calls.voicemail_flow`; the mailbox is the callee's number
* ``reject``    the policy's status
* ``observe``   180 Ringing and never answer (FORK): the core CANCELs when the handset answers

:meth:`CallApp.originate` places a call to a number registered with INGRESS.

Only legs from the operator core get here: :class:`~tas.calls.gate.TrustGate` answers every
other INVITE uniformly, before any lookup. Every leg gets a
:class:`~tas.calls.records.CallRecord` (held as a ``CallRow``) with milestones. A leg for a number we hold no
registration for (or with no number at all) is a ``direct`` leg when ``direct`` (``tas serve``'s
``[invite]`` settings) is given: :func:`~tas.calls.direct.decide_direct` picks its action from
the number's policy, the ``*`` policy or ``[invite]``, and it runs like any other leg (media
from :mod:`media.offer_answer`, RTP, hold/resume re-INVITEs per RFC 3264 §8.4). Without
``direct`` such a leg gets 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from media.session import MediaEngine, MediaSession
from tas.calls.announce import announce, announce_early, answer_and_hold, run_menu
from tas.calls.b2bua import Bridge
from tas.calls.direct import DIRECT_ROUTE, DirectStats, decide_direct
from tas.calls.diversion import session_id_of
from tas.calls.early import DONE, EarlyEvents
from tas.calls.failover import Failover, forward_peers
from tas.calls.forward import plan_forward
from tas.calls.gate import TrustGate
from tas.calls.host import CallHost
from tas.calls.journal import CallJournal
from tas.calls.leg import AnsweredLeg
from tas.calls.live import LiveCalls, end_call
from tas.calls.mailbox_access import mailbox_access, run_mailbox
from tas.calls.outbound import OutboundCall, run_outbound
from tas.calls.policy import Action, Decision
from tas.calls.policy_store import PolicyStore
from tas.calls.privacy import shown_caller
from tas.calls.records import CallRecordStore, CallRow, Outcome, utcnow
from tas.calls.routing import LegInfo, dialled_of, e164_of, uri_user, user_of
from tas.calls.rules import FollowMe, decide_with_rules
from tas.calls.rules_follow import run_follow_me
from tas.calls.sources import DirectoryUnavailable, RegistrationSource
from tas.calls.voicemail_flow import divert_to_voicemail
from tas.config import InvitePolicy, VoicemailSettings
from tas.dns.resolver import SipResolver
from tas.logs import log_event
from tas.sip.call import Call
from tas.sip.errors import SipError
from tas.sip.events import Event, IncomingCall, RequestReceived
from tas.sip.listener import CallListener
from tas.sip.message import Request
from tas.sip.privacy import caller_hidden
from tas.sip.routing import target_peer
from tas.sip.uri import SipURI, parse_uri
from tas.voicemail import Voicemail, VoicemailStore

__all__ = ["CallApp", "OBSERVE_LIMIT"]

log = logging.getLogger(__name__)

#: Seconds cancelled call flows get to finish in :meth:`CallApp.shutdown`.
CANCEL_WAIT = 5.0

#: An observed (FORK) leg nobody cancels is released with 480 after this many seconds.
OBSERVE_LIMIT = 300.0


class CallApp:
    """Set ``stack.on_event = app.on_event``; :meth:`shutdown` before closing the stack.

    ``stack`` is a :class:`~tas.calls.host.CallHost` (the running ``SipStack``; in unit tests
    an in-memory endpoint on a virtual clock). Each call's own events reach the listener the
    app gives it (:class:`~tas.calls.early.EarlyEvents` until decided, then the flow)."""

    def __init__(
        self,
        stack: CallHost,
        engine: MediaEngine,
        registrations: RegistrationSource,
        *,
        policies: PolicyStore | None = None,
        records: CallRecordStore | None = None,
        voicemail: VoicemailStore | None = None,
        voicemail_settings: VoicemailSettings | None = None,
        on_voicemail: Callable[[Voicemail], None] | None = None,
        direct: InvitePolicy | None = None,
        observe_limit: float = OBSERVE_LIMIT,
        gate: TrustGate | None = None,
        resolver: SipResolver | None = None,
        wall_clock: Callable[[], datetime] = utcnow,  # call rules' time windows
    ) -> None:
        self.wall_clock = wall_clock
        self.stack = stack
        self.resolver = resolver or SipResolver()  # RFC 3263; no DNS traffic for numeric hops
        self.gate = gate or TrustGate(stack.trust_of)  # default: the stack's trust policy
        self.engine = engine
        self.registrations = registrations
        self.policies = policies
        self.records = records
        self.voicemail = voicemail
        self.voicemail_settings = voicemail_settings or (
            voicemail.settings if voicemail is not None else VoicemailSettings()
        )
        self.on_voicemail = on_voicemail
        self.direct = direct
        self.direct_stats = DirectStats()
        self.observe_limit = observe_limit
        self.journals: list[CallJournal] = []  # every leg's journal, newest last
        self.live = LiveCalls()  # legs in progress (the admin API)
        self._tasks: set[asyncio.Task[None]] = set()
        self._bridges: set[Bridge] = set()
        self.idle = asyncio.Event()
        self.idle.set()

    # -- the stack's user (SipStack.on_event) -------------------------------------------------

    def on_event(self, event: Event) -> None:
        """New calls and out-of-dialog requests; a call's own events go to its listener."""
        if isinstance(event, IncomingCall):
            if not self.gate.admits(event.call.peer):  # not the core: one answer, no lookup
                event.call.listener = DONE
                self.gate.refuse_call(self.stack.endpoint, event.call, self.stack.now())
                return
            event.call.listener = EarlyEvents()  # events before the decision wait here
            self._spawn(self._incoming(event.call, event.request))
            return
        if isinstance(event, RequestReceived) and not self.gate.admits(event.transaction.peer):
            self.gate.refuse_request(self.stack.endpoint, event, self.stack.now())
        elif isinstance(event, RequestReceived):  # INFO/MESSAGE/NOTIFY: accepted when direct
            status = 200 if self.direct is not None else 501
            self.stack.endpoint.respond(event.transaction, status, self.stack.now())

    def _attach(self, call: Call, listener: CallListener) -> None:
        """Hand the call to its listener and replay what happened while we were deciding."""
        early = call.listener
        call.listener = listener
        if isinstance(early, EarlyEvents):
            early.replay(listener)

    def _refuse(self, call: Call, status: int, headers: dict[str, str] | None = None) -> None:
        """End an undecided leg with ``status`` (unless the caller has already left)."""
        self._attach(call, DONE)
        if call.state == "incoming":
            self.stack.endpoint.reject(call, status, self.stack.now(), headers=headers)
        self.stack.flush()

    # -- one incoming leg -----------------------------------------------------------------------

    async def _incoming(self, call: Call, request: Request) -> None:
        caller_user = user_of(request.headers.get("P-Asserted-Identity")) or uri_user(
            request.from_.uri
        )
        number = uri_user(request.uri)
        info = None
        if dialled_of(number) is not None:  # no number: never a breakout leg, no lookup
            try:  # from memory: no I/O per INVITE (issue #10)
                info = self.registrations.find(number, caller_user)
            except DirectoryUnavailable as exc:  # never a guess: 503 + Retry-After (§21.5.4)
                self._refuse(call, 503, {"Retry-After": str(exc.retry_after)})
                return
        access = None
        if self.voicemail is not None:  # mailbox by phone (tas.calls.mailbox_access)
            vm_access = self.voicemail_settings.access_numbers
            access = mailbox_access(info, number, caller_user, request, vm_access)
        if info is None and self.direct is None and access is None:
            log_event(
                log, "leg_not_ours", level=logging.DEBUG, call_id=call.call_id, uri=request.uri
            )
            self._refuse(call, 404)
            return
        if info is not None:
            record = CallRow(
                sip_call_id=call.call_id,
                session_id=session_id_of(request),
                direction="in",
                route=info.route.cli_name,
                caller=shown_caller(info.caller or e164_of(caller_user), request),
                callee=info.callee,
                subscriber=info.subscriber,
            )
            detail = f"{info.route.cli_name} {info.direction.name}"
            detail += f" prefix={info.prefix}" if info.prefix else ""
            decision: Decision | FollowMe = self._decide(info, request)
        else:
            record = CallRow(
                sip_call_id=call.call_id,
                session_id=session_id_of(request),
                direction="in",
                route=DIRECT_ROUTE,
                caller=shown_caller(e164_of(caller_user) or caller_user, request),
                callee=e164_of(number) or number,
            )
            detail = f"{DIRECT_ROUTE} (no registration) to {request.uri}"
            decision = Decision(Action.ANSWER, None, None)
            if self.direct is not None and access is None:
                decision = decide_direct(number, self.registrations.policies_for, self.direct)
        journal = self._journal(record)
        self.live.add(call, journal)
        journal.note("invite", detail)
        journal.update(action=decision.action.value)
        log_event(
            log,
            "leg",
            call_id=call.call_id,
            route=record.route,
            subscriber=record.subscriber,
            action=decision.action.value,
        )
        if access is None and isinstance(decision, FollowMe):  # a ring call rule
            await run_follow_me(self, call, request, decision, journal)
            return
        if access is None and isinstance(decision, Decision) and decision.action is Action.FORWARD:
            await self._forward(call, request, decision, journal)
            return
        leg = AnsweredLeg(self.stack, self.engine, call, info, journal)
        self._attach(call, leg)
        if info is None:
            self.direct_stats.active.add(call.call_id)
            leg.on_answered = self._direct_answered
        try:
            if access is not None and self.voicemail is not None:
                await run_mailbox(
                    leg, access, self.voicemail, self.voicemail_settings, self._journal
                )
            elif isinstance(decision, Decision):
                await self._run(leg, request, decision)
        finally:
            if not leg.is_ended:  # whatever happened in the flow, the call ends with it
                leg.hang_up(500)
            if leg.journal.record.outcome == Outcome.IN_PROGRESS.value:
                leg.journal.update(outcome=Outcome.ABANDONED.value)
            self.direct_stats.active.discard(call.call_id)
            await leg.close()

    def _direct_answered(self) -> None:
        self.direct_stats.answered += 1

    def _decide(self, info: LegInfo, request: Request) -> Decision | FollowMe:
        """The first matching call rule, else the stored policy or the default (in memory)."""
        source, number, hidden = self.registrations, info.subscriber, caller_hidden(request)
        rules, policies = source.rules_for(number), source.policies_for(number)
        return decide_with_rules(info, rules, policies, hidden=hidden, now=self.wall_clock())

    async def _run(self, leg: AnsweredLeg, request: Request, decision: Decision) -> None:
        if leg.is_ended:  # CANCEL while we looked things up (or answered elsewhere)
            if leg.journal.record.outcome == Outcome.IN_PROGRESS.value:
                leg.journal.update(outcome=Outcome.ABANDONED.value)
            return
        action = decision.action
        if action is Action.REJECT:
            leg.reject(decision.status)
        elif action is Action.OBSERVE:
            leg.ring()
            await leg.race(asyncio.sleep(self.observe_limit))
            leg.reject(480)
        elif action is Action.VOICEMAIL:
            await self._voicemail(leg, request, early_media=decision.early_media)
        elif decision.hold is not None:
            await answer_and_hold(leg, decision.announcement, decision.hold, decision.ring)
        elif decision.menu:
            await run_menu(
                leg, decision.announcement, decision.menu, lambda: self._voicemail(leg, request)
            )
        elif decision.early_media:  # 183 + announcement, never answered (RFC 3960 §3)
            await announce_early(leg, decision.announcement, decision.status)
        else:
            await announce(leg, decision.announcement)

    async def _voicemail(
        self, leg: AnsweredLeg, request: Request, *, early_media: bool = False
    ) -> Voicemail | None:
        if self.voicemail is None:
            leg.reject(480, "Voicemail Unavailable")
            return None
        return await divert_to_voicemail(
            leg, self.voicemail, request, self.voicemail_settings, early_media, self.on_voicemail
        )

    async def _forward(
        self, call: Call, request: Request, decision: Decision, journal: CallJournal
    ) -> None:
        """Leg 3 (or a call to the policy's target) bridged to this leg."""
        plan = plan_forward(call, request, journal.record, decision.target)
        peers = await forward_peers(plan, self.resolver)  # RFC 3263 §4 (tas.calls.failover)
        if call.state not in ("incoming", "early"):  # CANCEL while we looked things up
            self._attach(call, DONE)
            journal.note("cancel", "caller cancelled before the forward")
            journal.update(outcome=Outcome.ABANDONED.value, ended=utcnow())
            self._spawn(journal.close())
            return
        uri, headers = plan.uri, plan.headers

        def out_journal(b: Call) -> CallJournal:
            return self._journal(plan.out_record(b.call_id, request, journal.record))

        bridge = Bridge(
            self.stack.endpoint, self.stack.now, call, journal, out_journal, self._bridge_done
        )
        failover = Failover(
            bridge, plan, peers, from_uri=str(request.from_.uri), headers=headers,
            retire=lambda done: self._spawn(done.close()),
        )  # fmt: skip
        try:
            failover.start(self.stack.now())
        except (SipError, ValueError) as exc:  # an unroutable target
            log_event(
                log, "forward_failed", level=logging.WARNING, call_id=call.call_id, target=uri,
                error=exc,
            )  # fmt: skip
            self._refuse(call, 502)
            journal.note("rejected", f"502 cannot forward to {uri}")
            journal.update(outcome=Outcome.FAILED.value, status=502, ended=utcnow())
            self._spawn(journal.close())
            return
        self._bridges.add(bridge)
        self.idle.clear()
        self._attach(call, bridge)
        self.stack.flush()

    def _bridge_done(self, bridge: Bridge) -> None:
        self._bridges.discard(bridge)
        self._spawn(bridge.a_journal.close())
        if bridge.b_journal is not None:
            self._spawn(bridge.b_journal.close())

    # -- calls we place (INGRESS) -----------------------------------------------------------------

    async def originate(
        self,
        number: str,
        core: str,
        *,
        from_number: str | None = None,
        announcement: bytes | str | None = None,
        ring_timeout: float = 30.0,
    ) -> CallRow:
        """Call ``number`` through the operator core at ``core`` (a ``sip:``/``sips:`` URI
        such as the sandbox core's TLS listener), play ``announcement`` (PCM16 or a WAV path;
        None: the default chime) when answered, hang up. The number must be registered with
        INGRESS for the core to accept it. Returns the call's record."""
        target = parse_uri(core)
        if not isinstance(target, SipURI) or e164_of(number) is None:
            raise ValueError(f"need an E.164 number and a sip:/sips: core URI: {number} {core}")
        uri = SipURI(
            host=target.host, port=target.port, user=number, scheme=target.scheme,
            params={"user": "phone"},
        )  # fmt: skip
        session, offer = await MediaSession.create_offer(self.engine)
        from_uri = f"sip:{from_number}@{target.host}" if from_number else None
        call = self.stack.endpoint.invite(
            uri, self.stack.now(), peer=target_peer(target, "UDP"), from_uri=from_uri,
            body=offer.encode(),
        )  # fmt: skip
        self.stack.flush()
        journal = self._journal(
            CallRow(
                sip_call_id=call.call_id,
                direction="out",
                route="ingress",
                caller=from_number,
                callee=number,
                subscriber=number,
                action=Action.ANSWER.value,
            )
        )
        journal.note("invite", f"to {uri}")
        self.live.add(call, journal)
        outbound = OutboundCall(self.stack, call, journal)
        call.listener = outbound
        done = asyncio.get_running_loop().create_future()
        self._spawn(run_outbound(outbound, session, announcement, ring_timeout, done))
        await asyncio.shield(done)
        return journal.record

    # -- plumbing -------------------------------------------------------------------------------

    def _journal(self, record: CallRow) -> CallJournal:
        journal = CallJournal(self.records, record)
        if self.stack.capture is not None:  # the ladder's messages (tas.transport.capture)
            self.stack.capture.attach(record.sip_call_id, journal)
        self.journals.append(journal)
        del self.journals[:-1000]
        return journal

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._tasks.add(task)
        self.idle.clear()
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log_event(log, "call_task_failed", level=logging.ERROR, exc_info=exc, error=exc)
        if not self._tasks and not self._bridges:
            self.idle.set()

    @property
    def active(self) -> int:
        """Legs being handled right now."""
        return len(self._tasks) + len(self._bridges)

    def hang_up(self, call_id: str) -> bool:
        """End the live leg ``call_id`` (:func:`~tas.calls.live.end_call`); False if none."""
        call = self.live.call(call_id)
        if call is None or not end_call(call, self.stack.endpoint, self.stack.now(), 487):
            return False
        self.stack.flush()
        return True

    async def shutdown(self, grace: float = 5.0) -> None:
        """BYE/503 every call we own, let the flows finish (committing recordings), then stop."""
        ep, now = self.stack.endpoint, self.stack.now()
        calls = list(ep.calls.values())
        calls += [b.b for b in self._bridges if b.b is not None and b.b not in calls]
        for call in calls:
            if call.listener is not None:
                end_call(call, ep, now)
        self.stack.flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), grace)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:  # a flow that ignores its cancellation is left behind, not waited on
            _, stuck = await asyncio.wait(list(self._tasks), timeout=CANCEL_WAIT)
            for task in stuck:
                log_event(log, "call_task_stuck", level=logging.ERROR, task=task.get_name())
