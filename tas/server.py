"""Composition root of ``tas serve``: everything the telephony server runs, in one process.

:class:`TasServer` starts, in order: the SQL database (schema), the voicemail store (open +
``recover()`` of what a crash left), the embedded sandbox operator core when
``sandbox.enabled`` and ``operator.target == "sandbox"`` (gRPC control plane + SIP core on
loopback), the SIP stack (listeners from :class:`~tas.config.SipSettings`; a self-signed TLS
certificate is generated under ``data_dir`` when none is configured), the media engine, the
call application (:class:`tas.calls.app.CallApp`), the voicemail API, the registration
refresher, the event consumer, the hourly voicemail purge and the one HTTP server (Prometheus
``/metrics`` of :mod:`tas.metrics` and the admin API of :mod:`tas.admin`); :meth:`TasServer.stop` stops them
in reverse order, BYE-ing active calls first (a recording in progress is committed).
:func:`serve` drains first on SIGTERM (:mod:`tas.drain`); ``/healthz`` and ``/readyz``
(:mod:`tas.health`) are served on the same HTTP server.

Every INVITE goes through the call application. Legs from a trusted source for numbers we
hold no registration for (plain SIP tests, SIPp) are ``direct`` legs (:mod:`tas.calls.direct`):
the number's ``tas policy``, the ``*`` policy, else ``[invite]`` (answer with a media session
from :mod:`media.offer_answer` sending RTP, held until BYE or ``max_duration`` /
``hangup_after``; or reject with ``reject_status``); each gets a call record.
The trust boundary (:func:`tas.server_options.trust_policy`): ``[operator] trusted`` CIDRs and, over mutual TLS,
``[operator] trusted_names`` are the operator core; the embedded sandbox core's host is trusted
automatically. Only their legs are breakout legs; every other INVITE gets the ``[untrusted]``
answer (:class:`tas.calls.gate.TrustGate`) and the stack never reflects towards it.
Optional listeners (sandbox, voicemail API, metrics) that cannot bind are logged and skipped, so SIP
keeps serving. SIGINT/SIGTERM stop :func:`serve` gracefully.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from media.session import MediaEngine
from tas.certificates import own_certificate
from tas.config import Settings
from tas.dns.resolver import SipResolver
from tas.drain import Drain, drain, drain_signals
from tas.health import Health
from tas.hostport import HostPort
from tas.logs import log_event
from tas.server_options import stack_options, trust_policy
from tas.transport.capture import WireCapture
from tas.transport.stack import SipStack
from tas.transport.tls import client_context
from tas.voicemail.transcribe_worker import start_transcriber

__all__ = ["serve", "TasServer", "stack_options", "trust_policy"]  # the last two: server_options

log = logging.getLogger("tas.server")

#: seconds each service gets to stop in :meth:`TasServer.stop`
STOP_STEP_TIMEOUT = 10.0


class TasServer:
    """Every service of ``tas serve``; ``await start()``, then ``await stop()``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stack: SipStack
        self.engine: MediaEngine
        self.app: Any = None  # tas.calls.app.CallApp
        self.db: Any = None  # tas.store.Database
        self.voicemail: Any = None  # tas.voicemail.VoicemailStore
        self.voicemail_api: Any = None
        self.plane: Any = None  # tas.sandbox.grpc_server.ControlPlane
        self.core: Any = None  # tas.sandbox SandboxCore
        self.refresher: Any = None
        self.directory: Any = None  # tas.calls.directory.Directory
        self.directory_sync: Any = None  # tas.calls.directory_sync.DirectorySync
        self.consumer: Any = None
        self.metrics: Any = None  # tas.metrics.MetricsServer
        self.health = Health()  # /healthz, /readyz (tas.health)
        self._tasks: list[asyncio.Task[None]] = []
        self.mwi: Any = None  # tas.voicemail.mwi_service.MwiService when [mwi] enabled
        self.notify: Any = None  # tas.voicemail.notify_worker.NotifyWorker once started
        self.transcriber: Any = None  # tas.voicemail.transcribe_worker.TranscribeWorker
        self._stopped = False

    @property
    def sips_uri(self) -> str | None:
        """The ``sips:`` URI to register with the operator (our first TLS listener)."""
        tls = self.stack.local.get("TLS")
        return f"sips:{tls[0]}:{tls[1]}" if tls else None

    async def start(self) -> None:
        from registrations.errors import OperatorError
        from registrations.refresher import Refresher
        from tas.calls.app import CallApp
        from tas.calls.directory import Directory, DirectoryOptions
        from tas.calls.directory_sync import DirectorySync
        from tas.calls.gate import TrustGate
        from tas.calls.policy_store import PolicyStore
        from tas.calls.records import CallRecordStore
        from tas.calls.sources import NumberSource
        from tas.events import EventConsumer
        from tas.store import Database
        from tas.voicemail import VoicemailStore
        from tas.voicemail.store import instance_of

        settings = self.settings
        self.db = Database(settings.database_url, echo=settings.database.echo)
        await self.db.migrate()
        self.voicemail = VoicemailStore(
            self.db,
            settings.data_dir / "voicemail",
            settings.voicemail,
            instance=instance_of(settings),
        )
        await self.voicemail.open()
        report = await self.voicemail.recover()
        log_event(
            log,
            "voicemail_recovered",
            temp_removed=len(report.temp_removed),
            abandoned=len(report.abandoned),
            adopted=len(report.adopted),
        )
        embedded = settings.sandbox.enabled and settings.operator.target == "sandbox"
        if embedded:
            await self._start_sandbox_plane()
        options = stack_options(settings)
        if self.plane is not None and settings.sip.tls:  # the sandbox core presents our cert
            options = replace(options, client_ssl=client_context(own_certificate(settings)[0]))
        self.stack = await SipStack.open(options)
        if settings.admin.ladder_messages:  # the console's ladder (tas.transport.capture)
            admin = settings.admin
            self.stack.capture = WireCapture(admin.ladder_messages, admin.ladder_calls)
        trust = options.trust
        if not (trust.operator or trust.sandbox or trust.operator_names):
            log_event(
                log,
                "no_trusted_source",
                level=logging.WARNING,
                detail="no [operator] trusted / trusted_names and no embedded sandbox: every "
                f"INVITE gets the [untrusted] answer {settings.untrusted.status}",
            )
        self.engine = MediaEngine.from_settings(settings.media)
        try:
            self.refresher = Refresher.from_settings(settings, self.db)
        except (ValueError, OperatorError) as exc:  # e.g. a region without OAuth credentials
            log.error("event=service_unavailable service='registration refresher' error=%r", exc)
        live: list[NumberSource] = []
        if self.plane is not None:
            from tas.sandbox.registrations import SandboxRegistrations

            live.append(SandboxRegistrations(self.plane))
        db_settings = settings.database
        directory_options = DirectoryOptions(
            db_settings.poll_interval, db_settings.max_stale, db_settings.retry_after
        )
        self.directory = Directory(live, options=directory_options)
        self.directory_sync = DirectorySync(self.db, self.directory)
        await self.directory_sync.start()
        self.app = CallApp(
            self.stack,
            self.engine,
            self.directory,
            policies=PolicyStore(self.db),
            records=CallRecordStore(self.db),
            voicemail=self.voicemail,
            on_voicemail=self._new_voicemail,
            direct=settings.invite,
            gate=TrustGate(
                self.stack.trust_of, settings.untrusted.status, settings.untrusted.reason
            ),
            resolver=SipResolver(
                settings.dns.nameservers,
                timeout=settings.dns.timeout,
                cache_size=settings.dns.cache_size,
                negative_ttl=settings.dns.negative_ttl,
                ipv6=settings.dns.ipv6,
            ),
        )
        self.stack.on_event = self.app.on_event
        self._start_mwi(settings)
        if self.plane is not None:
            await self._start_sandbox_core()
        await self._optional("voicemail API", self._start_voicemail_api())
        if self.refresher is not None:
            await self.refresher.start()
        if settings.events.enabled:
            try:
                self.consumer = EventConsumer(settings, self.db)
            except (ValueError, OperatorError) as exc:
                log.error("event=service_unavailable service='event consumer' error=%r", exc)
            else:
                self.consumer.start()
        self._tasks.append(asyncio.create_task(self.voicemail.purge_periodically()))
        self._start_notify(settings)
        self.transcriber = start_transcriber(self.voicemail, settings, self.notify, self._tasks)
        self._start_health()
        if settings.metrics.enabled or settings.admin.listen:
            await self._optional("HTTP (metrics, admin API)", self._start_http())
        self.stack.overload.lag.clear()  # start-up stalls are not overload (issue 10 guard)

    def _start_health(self) -> None:
        """Readiness checks of ``/readyz`` and the loop heartbeat (tas.health)."""
        from tas.health import watch_server

        watch_server(self.health, self.db, self.directory, lambda: bool(self.stack.local))

    async def begin_drain(self) -> None:
        """No new calls (503 to INVITE and OPTIONS), NOT_SERVING on /readyz and gRPC health;
        calls in progress go on (tas.drain)."""
        self.stack.overload.draining = True
        self.health.draining = True
        for service in (self.plane, self.voicemail_api):
            grpc_health = getattr(service, "health", None)
            if grpc_health is not None:
                await grpc_health.set_serving(False)

    def active_calls(self) -> int:
        """Calls (with a dialog, either direction) the endpoint still holds."""
        return len(self.stack.endpoint.calls)

    async def _optional(self, name: str, work: Any) -> None:
        try:
            await work
        except (OSError, RuntimeError, ValueError, ImportError) as exc:
            # str, not repr: an OSError's repr drops the file name it carries
            log.error("event=service_unavailable service=%r error=%r", name, str(exc) or repr(exc))

    async def _start_sandbox_plane(self) -> None:
        from tas.sandbox.grpc_server import ControlPlane

        plane = ControlPlane(self.settings.sandbox, data_dir=self.settings.data_dir)
        try:
            await plane.start()
        except OSError as exc:
            log.error("event=service_unavailable service='sandbox control plane' error=%r", exc)
            return
        self.plane = plane
        self.settings.sandbox.grpc = (
            plane.address or self.settings.sandbox.grpc
        )  # the port actually bound (":0" in tests)

    async def _start_sandbox_core(self) -> None:
        try:
            from tas.sandbox.sip_core import SandboxCore
        except ImportError as exc:
            log.error("event=service_unavailable service='sandbox SIP core' error=%r", exc)
            return
        core = SandboxCore(self.settings, self.plane, self.engine)
        try:
            await core.start()
        except OSError as exc:
            log.error("event=service_unavailable service='sandbox SIP core' error=%r", exc)
            return
        self.core = core

    async def _start_voicemail_api(self) -> None:
        from tas.voicemail.api import start_voicemail_api

        self.voicemail_api = await start_voicemail_api(self.settings, self.voicemail)

    async def _start_http(self) -> None:
        """The one HTTP server: /metrics, /healthz, /readyz and the admin API (tas.admin)."""
        import importlib

        # FastAPI and the routes take most of a second to import: off the loop, so SIP
        # (already serving) sees no lag spike and the overload guard no reason to 503.
        await asyncio.to_thread(importlib.import_module, "tas.metrics")
        from tas.admin.auth import Tokens
        from tas.admin.context import AdminContext
        from tas.events.metrics import ConsumerCollector
        from tas.metrics import (
            CallAppCollector,
            DirectoryCollector,
            MediaCollector,
            MetricsServer,
            OverloadCollector,
            SipCollector,
        )
        from tas.transport.metrics import ConnectionCollector
        from tas.voicemail.metrics import VoicemailCollector

        settings, admin = self.settings, self.settings.admin
        if problem := admin.exposure_problem(settings.metrics.listen):
            raise ValueError(problem)
        context = AdminContext(
            settings, Tokens(admin.tokens), self.app, self.db, self.voicemail, self.health
        )
        tls = (admin.tls_cert, admin.tls_key) if admin.tls_cert and admin.tls_key else None
        metrics = MetricsServer(
            admin.address(settings.metrics.listen),
            context,
            enabled=settings.metrics.enabled,
            tls=tls,
        )
        metrics.register(SipCollector(self.stack.endpoint))
        metrics.register(OverloadCollector(self.stack.overload))
        metrics.register(CallAppCollector(self.app, self.app.direct_stats))
        if self.directory is not None:
            metrics.register(DirectoryCollector(self.directory.stats, self.directory.health))
        metrics.register(MediaCollector(self.engine.pool))
        metrics.register(VoicemailCollector(lambda: self.voicemail_api))
        metrics.register(ConnectionCollector(self.stack.guard))
        if self.consumer is not None:
            metrics.register(ConsumerCollector(self.consumer.stats))
        await metrics.start()
        self.metrics = metrics

    def _start_notify(self, settings: Settings) -> None:
        """The new-message notification worker (tas.voicemail.notify_worker), its own task."""
        from tas.voicemail.notify_worker import NotifyWorker, notifiers_from_settings, owner_of

        self.notify = NotifyWorker(
            self.voicemail,
            notifiers_from_settings(settings),
            settings.voicemail.notify,
            owner=owner_of(settings),
        )
        self._tasks.append(asyncio.create_task(self.notify.run()))

    def _start_mwi(self, settings: Settings) -> None:
        """``[mwi]``: SUBSCRIBE/NOTIFY for mailboxes (tas.voicemail.mwi_service), in front of
        the call application (each SUBSCRIBE is digest-authenticated there)."""
        if settings.mwi.enabled:
            from tas.voicemail.mwi_service import MwiService

            self.mwi = MwiService(self.stack, self.voicemail, settings.mwi)
            self.stack.on_event = self.mwi.in_front_of(self.app.on_event)
            self._tasks.append(asyncio.create_task(self.mwi.run()))

    def _new_voicemail(self, message: Any) -> None:
        """NEW_VOICEMAIL into the embedded sandbox's event stream (the real core does its own);
        the notification worker looks at the outbox now."""
        if self.notify is not None:
            self.notify.wake()
        if self.transcriber is not None:
            self.transcriber.wake()
        if self.mwi is not None:
            self.mwi.wake()
        if self.plane is not None:
            self.plane.publish_voicemail_event(
                message.voicemail_id, message.caller_number, message.mailbox
            )

    async def stop(self, grace: float = 5.0) -> None:
        """Calls first (BYE, recordings committed), then every service in reverse order.
        Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self.app is not None:
            await self._bounded("call application", self.app.shutdown(grace), grace)
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_STEP_TIMEOUT)
        await self._bounded("health", self.health.stop())
        steps: list[tuple[str, Any]] = [
            ("metrics", self.metrics.stop() if self.metrics else None),
            ("event consumer", self.consumer.stop() if self.consumer else None),
            ("notifications", self.notify.aclose() if self.notify else None),
            ("transcripts", self.transcriber.aclose() if self.transcriber else None),
            ("refresher", self.refresher.stop() if self.refresher else None),
            ("call directory", self.directory_sync.stop() if self.directory_sync else None),
            ("voicemail API", self.voicemail_api.stop() if self.voicemail_api else None),
            ("sandbox SIP core", self.core.stop() if self.core else None),
            ("SIP stack", self.stack.close() if hasattr(self, "stack") else None),
            ("sandbox control plane", self.plane.stop() if self.plane else None),
            ("database", self.db.close() if self.db else None),
        ]
        for name, work in steps:
            if work is not None:
                await self._bounded(name, work)

    async def _bounded(self, name: str, work: Any, extra: float = 0.0) -> None:
        """Await one service's stop; one that does not stop in time is left behind, logged:
        stopping never hangs."""
        limit = STOP_STEP_TIMEOUT + extra
        try:
            await asyncio.wait_for(work, limit)
        except TimeoutError:
            log_event(log, "stop_timeout", level=logging.ERROR, service=name, seconds=limit)
        except Exception:
            log_event(log, "stop_failed", level=logging.ERROR, exc_info=True, service=name)


async def serve(settings: Settings, *, started: Callable[[SipStack], None] | None = None) -> None:
    """Run until SIGINT/SIGTERM, drain (tas.drain: no new calls, active ones finish within
    ``[server] drain_timeout``), then BYE what is left and stop every service."""
    server = TasServer(settings)
    try:
        await server.start()
    except BaseException:
        await server.stop(grace=0.5)
        raise
    stack = server.stack
    state = Drain(settings.server.drain_timeout)
    with drain_signals(state, asyncio.get_running_loop()) as woken:
        ready: dict[str, Any] = {"instance": settings.instance_id}
        ready.update((name.lower(), str(HostPort(*at))) for name, at in stack.local.items())
        ready["policy"] = settings.invite.action
        if server.plane is not None:
            ready["sandbox"] = server.plane.address
        if server.metrics is not None:
            ready["metrics"] = server.metrics.address
        log_event(log, "ready", **ready)
        if started is not None:
            started(stack)
        try:
            await drain(state, woken, server.active_calls, on_start=server.begin_drain)
            log_event(log, "stopping", active_calls=len(stack.endpoint.calls))
        finally:
            # Still inside drain_signals: further signals (timeout(1) signals the group too)
            # are absorbed while the calls left are ended.
            await server.stop()
            answered = server.app.direct_stats.answered if server.app is not None else 0
            log_event(log, "stopped", answered=answered)
