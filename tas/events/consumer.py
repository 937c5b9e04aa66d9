"""asyncio consumer of the operator's event stream (EventsService v0, wgtwo-api.md §4.1).

Subscribes to VOICE_EVENT and VOICEMAIL_EVENT with the recommended production settings
(queue_name + durable_name, manual ack with a timeout, max_in_flight), stores the events in
size- and time-bounded batches of one SQL transaction each (:mod:`tas.events.batching`;
idempotent, see :mod:`tas.events.models`) and acks an event only after that commit, with the
Ack calls pipelined behind the next commits (:mod:`tas.events.acks`). Any stream end or error (the server's hourly forced close, an expired token,
a restart) leads to a reconnect with the same settings after an exponential backoff with jitter;
the durable subscription resumes where it stopped and redeliveries are recognised as duplicates.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf import empty_pb2
from sqlalchemy.exc import SQLAlchemyError

from registrations.client import Target
from registrations.errors import AuthenticationFailed, OperatorError
from registrations.oauth import ClientCredentials, TokenSource, sandbox_auth
from registrations.wgtwo.events.v0 import events_pb2, events_pb2_grpc
from tas.config import EventsSettings, Settings
from tas.events.acks import AckPipeline
from tas.events.backoff import Backoff
from tas.events.batching import Batcher
from tas.events.models import EventRecord, UnsupportedEvent, core_event_from_proto
from tas.events.store import EventStore
from tas.store import Database

__all__ = ["ConsumerStats", "EventConsumer", "subscribe_request"]

log = logging.getLogger(__name__)

SUBSCRIBED_TYPES = (events_pb2.VOICE_EVENT, events_pb2.VOICEMAIL_EVENT)


@dataclass(slots=True)
class ConsumerStats:
    """Counters for metrics; ``lag`` is commit time minus the core's event timestamp."""

    received: int = 0  # events read from the stream (redeliveries included)
    stored: int = 0  # new rows committed
    duplicates: int = 0  # already stored (redelivery, or another replica stored it)
    unsupported: int = 0  # kinds we did not ask for: acked, not stored
    acked: int = 0
    ack_failures: int = 0  # those come back as redeliveries
    store_failures: int = 0  # batches the database refused: not acked, so redelivered
    batches: int = 0  # transactions committed (stored / batches is the mean batch)
    streams: int = 0  # Subscribe calls made
    reconnects: int = 0
    lag: float | None = None  # seconds, newest stored event
    last_error: str | None = None
    lags: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))

    def snapshot(self) -> dict[str, Any]:
        """Everything but the lag samples, as plain values."""
        return {name: getattr(self, name) for name in self.__slots__ if name != "lags"}


def subscribe_request(settings: EventsSettings) -> events_pb2.SubscribeEventsRequest:
    """The ``SubscribeEventsRequest`` the contract recommends for production (§4.1)."""
    if settings.max_in_flight < 1:
        raise ValueError(f"events.max_in_flight must be at least 1, got {settings.max_in_flight}")
    if not settings.ack_timeout > 0:
        raise ValueError(f"events.ack_timeout must be positive, got {settings.ack_timeout}")
    request = events_pb2.SubscribeEventsRequest(
        type=SUBSCRIBED_TYPES,
        client_id=settings.client_id,
        queue_name=settings.queue_name,
        durable_name=settings.durable_name,
        max_in_flight=settings.max_in_flight,
        manual_ack=events_pb2.ManualAckConfig(enable=True),
    )
    request.manual_ack.timeout.FromNanoseconds(round(settings.ack_timeout * 1e9))
    if settings.start == "oldest":
        request.start_at_oldest_possible.CopyFrom(empty_pb2.Empty())
    return request


class EventConsumer:
    """``await run()`` (forever), or ``start()`` / ``await stop()`` inside ``tas serve``.

    The target and credentials come from ``[operator]`` (the sandbox on loopback by default,
    plaintext and without auth; a region with TLS and an OAuth2 client-credentials token
    carrying ``events.scopes`` otherwise). ``tokens``, ``clock``, ``rand`` and ``sleep`` may be
    injected.
    """

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        target: Target | None = None,
        tokens: TokenSource | None = None,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.settings = settings.events
        self.request = subscribe_request(self.settings)
        self.target = target or Target.from_settings(settings)
        self.stream = "sandbox" if settings.operator.target == "sandbox" else self.target.address
        self._owns_tokens = tokens is None
        self.tokens: TokenSource = tokens or _token_source(settings, self.target)
        self.store = EventStore(db)
        self.stats = ConsumerStats()
        self._clock = clock
        self._rand = rand
        self._sleep = sleep
        self._backoff = Backoff(self.settings.backoff_initial, self.settings.backoff_max)
        self._store_backoff = Backoff(self.settings.backoff_initial, self.settings.backoff_max)
        self._task: asyncio.Task[None] | None = None
        # At most half of what the server may have unacked with us: the next batch can fill
        # while one commits and its acks are on the way.
        self.batch_size = min(self.settings.batch_max, max(1, self.settings.max_in_flight // 2))

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Run in a background task (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="tas-event-consumer")
        return self._task

    async def stop(self) -> None:
        """Cancel the task: events received but not yet acked are redelivered later. A token
        source the consumer made itself is closed, so a stopped consumer is not restarted."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if not task.cancelled():  # the caller itself is being cancelled
                    raise
        if self._owns_tokens:
            await self.tokens.aclose()

    async def run(self) -> None:
        """Subscribe, consume, reconnect; returns only by cancellation."""
        channel = self._channel()
        stub = events_pb2_grpc.EventsServiceStub(channel)  # type: ignore[no-untyped-call]
        try:
            while True:
                started = self._clock()
                try:
                    healthy = await self._session(stub)
                except Exception as exc:  # a surprise must not end the consumer of `tas serve`
                    log.exception("event stream: unexpected failure")
                    self._failed(f"unexpected: {type(exc).__name__}: {exc}")
                    healthy = False
                if healthy or self._clock() - started >= self._backoff.cap:
                    self._backoff.reset()
                delay = self._backoff.next_delay(self._rand())
                self.stats.reconnects += 1
                log.info("event stream: reconnecting in %.2f s", delay)
                await self._sleep(delay)
        finally:
            await channel.close()

    # -- one stream -------------------------------------------------------------------------

    async def _session(self, stub: Any) -> bool:
        """One Subscribe call until it ends; True if it delivered at least one event."""
        try:
            token = await self.tokens.token()
        except OperatorError as exc:
            self._failed(f"token: {exc}")
            return False
        metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.stats.streams += 1
        call = stub.Subscribe(self.request, metadata=metadata)
        inbox = _Inbox(Batcher(self.batch_size, self.settings.batch_wait))
        acks = AckPipeline(stub, metadata, self.settings.max_in_flight, self._ack_done)
        reader = asyncio.create_task(self._read(call, inbox))
        writer = asyncio.create_task(self._write(inbox, acks))
        try:
            done, _ = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            if writer in done:  # it stops before the stream ends only by failing
                writer.result()
            await writer  # the stream ended: store and ack what arrived before the end
            return reader.result() > 0
        finally:
            reader.cancel()
            writer.cancel()
            acks.cancel()
            call.cancel()

    async def _read(self, call: Any, inbox: _Inbox) -> int:
        """Hand every event of the stream to the inbox, then end it; returns how many."""
        got = 0
        try:
            async for response in call:
                inbox.put(response.event)
                got += 1
            log.info("event stream closed by the server after %d event(s)", got)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                self.tokens.invalidate()  # expired or revoked: fetch a new one
            self._failed(f"stream: {exc.code().name}: {exc.details()}")
        inbox.end()
        return got

    async def _write(self, inbox: _Inbox, acks: AckPipeline) -> None:
        """Commit each due batch, then start its acks and go on with the next commit while
        they run (tas.events.batching, tas.events.acks); at the stream's end, wait for them."""
        while (batch := await inbox.next_batch()) is not None:
            if await self._commit(batch):
                await self._ack(batch, acks)
        await acks.drain()

    async def _commit(self, batch: list[events_pb2.Event]) -> bool:
        """Store ``batch`` in one transaction; False (nothing to ack) if the database refused."""
        self.stats.received += len(batch)
        received = datetime.fromtimestamp(self._clock(), UTC)
        rows: list[EventRecord] = []
        for event in batch:
            try:
                rows.append(core_event_from_proto(event, self.stream, received))
            except UnsupportedEvent as exc:
                self.stats.unsupported += 1
                log.warning("ignoring %s", exc)
        try:
            fresh = await self.store.save(rows)
        except (SQLAlchemyError, OSError) as exc:
            # Not acked: the server sends these again after the ack timeout.
            self.stats.store_failures += 1
            self._failed(f"store: {type(exc).__name__}: {exc}")
            await self._sleep(self._store_backoff.next_delay(self._rand()))
            return False
        self._store_backoff.reset()
        self.stats.batches += 1
        committed = self._clock()
        for row, new in zip(rows, fresh, strict=True):
            if new:
                self.stats.stored += 1
                self.stats.lag = committed - row.timestamp.timestamp()
                self.stats.lags.append(self.stats.lag)
            else:
                self.stats.duplicates += 1
        return True

    async def _ack(self, batch: list[events_pb2.Event], acks: AckPipeline) -> None:
        """Only after the commit (module docstring): a crash before this redelivers."""
        await acks.send(batch)

    def _ack_done(self, error: grpc.aio.AioRpcError | None) -> None:
        if error is None:
            self.stats.acked += 1
        else:
            self.stats.ack_failures += 1
            self._failed(f"ack: {error.code().name}: {error.details()}")

    # -- helpers ----------------------------------------------------------------------------

    def _channel(self) -> grpc.aio.Channel:
        # gRPC's own reconnect pacing (default up to 120 s) follows ours, so a server that is
        # back is found within backoff_max.
        options = [
            ("grpc.initial_reconnect_backoff_ms", round(self.settings.backoff_initial * 1000)),
            ("grpc.min_reconnect_backoff_ms", round(self.settings.backoff_initial * 1000)),
            ("grpc.max_reconnect_backoff_ms", round(self.settings.backoff_max * 1000)),
        ]
        if self.target.tls:
            creds = grpc.ssl_channel_credentials(root_certificates=self.target.root_certificates)
            return grpc.aio.secure_channel(self.target.address, creds, options=options)
        return grpc.aio.insecure_channel(self.target.address, options=options)

    def _failed(self, message: str) -> None:
        self.stats.last_error = message
        log.warning("event stream %s: %s", self.target.address, message)


def _token_source(settings: Settings, target: Target) -> TokenSource:
    if not target.authenticated:
        return sandbox_auth(settings.sandbox.tokens)
    op = settings.operator
    if not op.client_id or not op.client_secret:
        raise AuthenticationFailed(
            f"operator target {op.target!r} needs operator.client_id and operator.client_secret "
            "(TAS_OPERATOR__CLIENT_ID / __CLIENT_SECRET) for the event stream"
        )
    return ClientCredentials(
        op.client_id, op.client_secret, token_url=op.token_url, scopes=settings.events.scopes
    )


class _Inbox:
    """Events the stream delivered and the writer has not taken yet (reader -> writer).

    Batch ages use the event loop's monotonic clock, whatever clock the consumer reports lag
    with.
    """

    def __init__(self, batcher: Batcher[events_pb2.Event]) -> None:
        self._batcher = batcher
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._ended = False

    def put(self, event: events_pb2.Event) -> None:
        batcher = self._batcher
        batcher.add(event, self._loop.time())
        if len(batcher) == 1 or batcher.full:  # a new deadline to arm, or due now
            self._wake.set()

    def end(self) -> None:
        self._ended = True
        self._wake.set()

    async def next_batch(self) -> list[events_pb2.Event] | None:
        """The next due batch (everything left once the stream ended); None when done."""
        batcher = self._batcher
        while True:
            now = self._loop.time()
            if batcher.due(now) or (self._ended and len(batcher)):
                return batcher.take()
            if self._ended:
                return None
            self._wake.clear()
            deadline = batcher.deadline()
            timer = None if deadline is None else self._loop.call_at(deadline, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                if timer is not None:
                    timer.cancel()
