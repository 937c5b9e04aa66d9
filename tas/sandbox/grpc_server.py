"""The sandbox control plane: SipBreakoutService v1 and EventsService v0 over grpc.aio.

A thin asyncio adapter over the sans-IO :class:`~tas.sandbox.breakout.BreakoutTable` and
:class:`~tas.sandbox.event_bus.EventBus`. One in-process server on a loopback address, plaintext,
auth optional (wgtwo-api.md §7). The SIP core and tests inject events with
:meth:`ControlPlane.publish_voice_event` / :meth:`ControlPlane.publish_voicemail_event`.

Like the transport adapters, it arms ONE ``loop.call_later`` for the bus's next deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from types import TracebackType

import grpc
from google.protobuf import timestamp_pb2

from registrations.model import Route
from registrations.wgtwo.common.v0 import phonenumber_pb2
from registrations.wgtwo.events.v0 import events_pb2, events_pb2_grpc
from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2_grpc
from registrations.wgtwo.sms.v1 import sms_pb2_grpc
from tas.config import SandboxSettings
from tas.grpc_health import GrpcHealth, add_health
from tas.grpc_reflect import add_reflection
from tas.sandbox.breakout import ActiveRegistration, BreakoutTable
from tas.sandbox.breakout_file import BreakoutFile
from tas.sandbox.breakout_grpc import SipBreakoutServicer, abort_rpc
from tas.sandbox.event_bus import EventBus
from tas.sandbox.sms import SmsOutbox, SmsServicer
from tas.sandbox.subscriptions import (
    Delivery,
    StartAtOldest,
    StartAtSequence,
    StartAtTimeDelta,
    StartAtTimestamp,
    StartNew,
    StartPosition,
    StartWithLastReceived,
    SubscriptionClosed,
    SubscriptionError,
    SubscriptionSpec,
    UnknownInbox,
)

__all__ = ["ControlPlane", "spec_from_request"]

log = logging.getLogger(__name__)

_VoiceType = events_pb2.VoiceEvent.VoiceEventType
_KNOWN_TYPES = frozenset(events_pb2.EventType.values()) - {events_pb2.UNSPECIFIED}


def spec_from_request(
    request: events_pb2.SubscribeEventsRequest, default_ack_timeout: float
) -> SubscriptionSpec:
    """Translate a ``SubscribeEventsRequest``; raises SubscriptionError with the reason."""
    types = frozenset(int(t) for t in request.type)
    unknown = sorted(t for t in types if t not in _KNOWN_TYPES and t != 0)
    if unknown:
        raise SubscriptionError(f"unknown event type(s): {', '.join(map(str, unknown))}")
    start: StartPosition
    match request.WhichOneof("start_position"):
        case "start_at_sequence":
            start = StartAtSequence(request.start_at_sequence)
        case "start_at_timestamp":
            start = StartAtTimestamp(request.start_at_timestamp.ToNanoseconds() / 1e9)
        case "start_at_time_delta":
            start = StartAtTimeDelta(request.start_at_time_delta.ToNanoseconds() / 1e9)
        case "start_with_last_received":
            start = StartWithLastReceived()
        case "start_at_oldest_possible":
            start = StartAtOldest()
        case _:
            start = StartNew()
    ack_timeout: float | None = None
    if request.manual_ack.enable:
        ack_timeout = request.manual_ack.timeout.ToNanoseconds() / 1e9 or default_ack_timeout
    return SubscriptionSpec(
        types=types,
        client_id=request.client_id,
        queue_name=request.queue_name,
        durable_name=request.durable_name,
        start=start,
        max_in_flight=request.max_in_flight,
        ack_timeout=ack_timeout,
    )


def _response(delivery: Delivery[events_pb2.Event]) -> events_pb2.SubscribeEventsResponse:
    response = events_pb2.SubscribeEventsResponse()
    event = response.event
    event.CopyFrom(delivery.event.payload)
    event.metadata.sequence = delivery.event.sequence
    event.metadata.is_redelivered = delivery.redelivered
    event.metadata.ack_inbox = delivery.ack_inbox
    return response


def _number(e164: str) -> phonenumber_pb2.PhoneNumber:
    return phonenumber_pb2.PhoneNumber(e164=e164)


class ControlPlane:
    """The sandbox's operator APIs: registrations table, event bus and their gRPC server.

    ``clock`` gives wall-clock seconds (event timestamps, TTLs, ack timeouts); tests may inject
    their own. With ``data_dir`` the SipBreakout registrations are kept in
    ``<data_dir>/sandbox/registrations.sqlite3`` and restored (with their remaining lifetime)
    by the next ControlPlane on that folder; without it they live in memory only. Everything runs on the event loop that called :meth:`start`; the ``publish_*``
    methods must be called from that loop.
    """

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        data_dir: Path | None = None,
    ) -> None:
        self.settings = settings or SandboxSettings()
        self.clock = clock
        self.breakouts = BreakoutTable(ttl=self.settings.registration_ttl)
        # With a data_dir the registrations outlive the process (tas.sandbox.breakout_file).
        self.breakout_file = BreakoutFile.under(data_dir) if data_dir is not None else None
        if self.breakout_file is not None:
            restored = self.breakouts.restore(self.breakout_file.load(clock()), clock())
            log.info(
                "event=sandbox_registrations_restored count=%d file=%s",
                restored,
                self.breakout_file.path,
            )
        self.bus: EventBus[events_pb2.Event] = EventBus(
            history_seconds=self.settings.event_history,
            durable_expiry=self.settings.durable_expiry,
            default_max_in_flight=self.settings.max_in_flight,
        )
        self.address: str | None = None
        self._tokens = frozenset(self.settings.tokens)
        self._server: grpc.aio.Server | None = None
        self._wakers: dict[int, asyncio.Event] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self.health: GrpcHealth | None = None  # grpc.health.v1 (tas.grpc_health)
        self.sms = SmsOutbox(clock)  # what wgtwo.sms.v1.SmsService was asked to send

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, address: str | None = None) -> str:
        """Listen on ``address`` (default ``settings.grpc``; port 0 picks one); returns host:port."""
        if self._server is not None:
            raise RuntimeError(f"sandbox control plane already listening on {self.address}")
        address = address or self.settings.grpc
        # so_reuseport 0: a second sandbox on the same port fails instead of sharing it.
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        add_breakout = sipbreakout_pb2_grpc.add_SipBreakoutServiceServicer_to_server
        add_events = events_pb2_grpc.add_EventsServiceServicer_to_server
        add_breakout(SipBreakoutServicer(self), server)  # type: ignore[no-untyped-call]
        add_events(_EventsServicer(self), server)  # type: ignore[no-untyped-call]
        add_sms = sms_pb2_grpc.add_SmsServiceServicer_to_server
        add_sms(SmsServicer(self.sms, self._authorize), server)  # type: ignore[no-untyped-call]
        services = ("wgtwo.sipbreakout.v1.SipBreakoutService", "wgtwo.events.v0.EventsService")
        self.health = add_health(server, services)
        add_reflection(server, services)  # grpcurl/grpcui without a protoset (tas.grpc_reflect)
        try:
            port = server.add_insecure_port(address)
        except RuntimeError as exc:
            raise OSError(f"cannot listen on {address}: {exc}") from None
        if port == 0:
            raise OSError(f"cannot listen on {address}")
        await server.start()
        await self.health.set_serving(True)
        self._server = server
        self.address = f"{address.rpartition(':')[0]}:{port}"
        log.info("sandbox control plane listening on %s", self.address)
        self._changed()  # timers of subscriptions kept from an earlier start
        return self.address

    async def stop(self, grace: float | None = 0.5) -> None:
        """End every stream and stop listening. Registrations and events are kept."""
        if self._server is not None:
            server, self._server = self._server, None
            if self.health is not None:
                await self.health.set_serving(False)
            await server.stop(grace)
        if self._timer is not None:  # re-armed by streams ending during the stop
            self._timer.cancel()
            self._timer = self._timer_at = None
        self.address = None

    async def __aenter__(self) -> ControlPlane:
        if self._server is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def subscriber_count(self) -> int:
        """Event streams currently attached."""
        return len(self._wakers)

    # -- registrations (for the SIP core) ----------------------------------------------------

    def registrations_for(self, phone_number: str) -> list[ActiveRegistration]:
        """The live SipBreakout registrations of one E.164 number."""
        return self.breakouts.registrations_for(phone_number, self.clock())

    def find_registrations(
        self, phone_number: str, routes: Iterable[Route]
    ) -> list[ActiveRegistration]:
        """The live registrations of one number whose route type is one of ``routes``."""
        return self.breakouts.find(phone_number, routes, self.clock())

    # -- events -----------------------------------------------------------------------------

    def publish(self, event: events_pb2.Event) -> int:
        """Publish an ``Event`` (one ``event`` oneof set); returns its sequence number.

        ``metadata`` is filled per delivery; ``timestamp`` defaults to now.
        """
        kind = event.WhichOneof("event")
        if kind is None:
            raise ValueError("event has none of its oneof 'event' fields set")
        stored = events_pb2.Event()
        stored.CopyFrom(event)
        stored.ClearField("metadata")
        now = self.clock()
        if not stored.HasField("timestamp"):
            stored.timestamp.CopyFrom(_timestamp(now))
        event_type = events_pb2.EventType.Value(kind.upper())
        sequence = self.bus.publish(event_type, stored, now).sequence
        self._changed()
        return sequence

    def publish_voice_event(
        self,
        call_id: str,
        type: int | str,
        from_number: str,
        to_number: str,
        *,
        owner: str | None = None,
        caller_id_hidden: bool = False,
    ) -> int:
        """A ``VOICE_EVENT``; ``type`` is a VoiceEventType value or name (``"CALL_ANSWERED"``).

        ``owner`` (the subscriber the event belongs to) defaults to ``to_number``.
        """
        voice_type = _VoiceType.Value(type) if isinstance(type, str) else int(type)
        _VoiceType.Name(voice_type)  # ValueError for a number that is no VoiceEventType
        voice = events_pb2.VoiceEvent(
            call_id=call_id,
            type=voice_type,  # type: ignore[arg-type]
            from_number=_number(from_number),
            to_number=_number(to_number),
            caller_id_hidden=caller_id_hidden,
        )
        event = events_pb2.Event(
            voice_event=voice, owner=events_pb2.Owner(phone_number=_number(owner or to_number))
        )
        return self.publish(event)

    def publish_voicemail_event(
        self,
        voicemail_id: str,
        from_number: str,
        to_number: str,
        *,
        owner: str | None = None,
    ) -> int:
        """A ``VOICEMAIL_EVENT`` of type NEW_VOICEMAIL; ``owner`` defaults to ``to_number``."""
        voicemail = events_pb2.VoicemailEvent(
            voicemail_id=voicemail_id,
            type=events_pb2.VoicemailEvent.NEW_VOICEMAIL,
            from_number=_number(from_number),
            to_number=_number(to_number),
        )
        event = events_pb2.Event(
            voicemail_event=voicemail,
            owner=events_pb2.Owner(phone_number=_number(owner or to_number)),
        )
        return self.publish(event)

    # -- adapter internals ------------------------------------------------------------------

    def _changed(self) -> None:
        """After any bus call: wake subscribers that have something, re-arm the one timer."""
        for member_id, waker in self._wakers.items():
            if self.bus.ready(member_id):
                waker.set()
        deadline = self.bus.next_deadline() if self._server is not None else None
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = None
        if deadline is not None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(max(deadline - self.clock(), 0.0), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = self._timer_at = None
        self.bus.handle_timer(self.clock())
        self._changed()

    async def _authorize(self, context: grpc.aio.ServicerContext) -> None:
        """With tokens configured, require ``authorization: Bearer <one of them>``."""
        if not self._tokens:
            return
        metadata = {key: value for key, value in context.invocation_metadata() or ()}
        header = metadata.get("authorization", "")
        scheme, _, token = header.partition(" ") if isinstance(header, str) else ("", "", "")
        if scheme.lower() != "bearer" or token.strip() not in self._tokens:
            await abort_rpc(
                context, grpc.StatusCode.UNAUTHENTICATED, "missing or unknown bearer token"
            )


def _timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(round(seconds * 1e9))
    return stamp


class _EventsServicer(events_pb2_grpc.EventsServiceServicer):
    """``wgtwo.events.v0.EventsService`` over the plane's EventBus."""

    def __init__(self, plane: ControlPlane) -> None:
        self._plane = plane

    async def Subscribe(
        self, request: events_pb2.SubscribeEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[events_pb2.SubscribeEventsResponse]:
        await self._plane._authorize(context)
        try:
            spec = spec_from_request(request, self._plane.settings.ack_timeout)
        except SubscriptionError as exc:
            await abort_rpc(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        member = self._plane.bus.subscribe(spec, self._plane.clock())
        waker = self._plane._wakers[member] = asyncio.Event()
        log.info(
            "subscriber %d attached (%s, types %s)", member, spec.kind.value, sorted(spec.types)
        )
        self._plane._changed()
        loop = asyncio.get_running_loop()
        max_age = self._plane.settings.stream_max_age
        ends = loop.time() + max_age if max_age > 0 else None
        try:
            while True:
                if ends is not None and loop.time() >= ends:
                    return  # "Streams time out": end cleanly, the client reconnects
                waker.clear()
                try:
                    deliveries = self._plane.bus.poll(member, self._plane.clock())
                except SubscriptionClosed as exc:
                    await abort_rpc(context, grpc.StatusCode.ABORTED, str(exc))
                self._plane._changed()
                for delivery in deliveries:
                    yield _response(delivery)
                if deliveries:
                    continue
                if ends is None:
                    await waker.wait()
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(waker.wait(), max(ends - loop.time(), 0.0))
        finally:
            self._plane._wakers.pop(member, None)
            self._plane.bus.unsubscribe(member, self._plane.clock())
            log.info("subscriber %d detached", member)
            self._plane._changed()

    async def Ack(
        self, request: events_pb2.AckRequest, context: grpc.aio.ServicerContext
    ) -> events_pb2.AckResponse:
        await self._plane._authorize(context)
        if not request.inbox:
            await abort_rpc(context, grpc.StatusCode.INVALID_ARGUMENT, "inbox is required")
        try:
            self._plane.bus.ack(request.inbox, request.sequence, self._plane.clock())
        except UnknownInbox as exc:
            await abort_rpc(context, grpc.StatusCode.NOT_FOUND, str(exc))
        self._plane._changed()
        return events_pb2.AckResponse()
