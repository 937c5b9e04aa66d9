"""Prometheus ``/metrics`` of ``tas serve``: collectors that read live state at scrape time.

:class:`MetricsServer` owns a per-process :class:`~prometheus_client.CollectorRegistry` (never
the global one, so several servers and tests in one process do not collide) with the standard
``process_*`` collector, and serves it on the one HTTP server of ``tas serve``
(:mod:`tas.admin.http`: uvicorn in the server's event loop), with ``/healthz``, ``/readyz``
and the admin API beside ``/metrics``. The collectors below add nothing to the SIP or media
hot paths: they count what the endpoint, the call application and the media port pool already
hold, when scraped (on the event loop; each still takes one snapshot with ``list()``).

* :class:`SipCollector` - ``tas_sip_calls{state}``, ``tas_sip_transactions{role,method}``
* :class:`CallAppCollector` - ``tas_calls_active``, ``tas_calls_recent{outcome}``,
  ``tas_policy_calls_active``, ``tas_policy_calls_answered_total``
* :class:`MediaCollector` - ``tas_media_rtp_ports_in_use``, ``tas_media_rtp_ports_capacity``
* :class:`DirectoryCollector` - ``tas_directory_refused_total`` (legs answered 503),
  ``tas_directory_store_failures_total``, ``tas_directory_outages_total``,
  ``tas_directory_loads_total``, ``tas_directory_numbers{table}``, ``tas_directory_health{state}``
* the event consumer's :class:`tas.events.metrics.ConsumerCollector` (``tas_events_*``)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence, Sized
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tas.admin.app import create_app
from tas.admin.context import AdminContext
from tas.admin.http import HttpServer
from tas.calls.directory import DirectoryStats, Health
from tas.calls.records import Outcome
from tas.hostport import HostPort

__all__ = [
    "CallAppCollector",
    "DirectoryCollector",
    "MediaCollector",
    "MetricsServer",
    "OverloadCollector",
    "SipCollector",
    "split_listen",
]


def split_listen(listen: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``) of ``[metrics] listen``; ValueError saying why not."""
    try:
        hostport = HostPort.parse(listen)
    except ValueError:
        hostport = HostPort("")
    if not hostport.host or hostport.port is None:
        raise ValueError(f"metrics listen address must be host:port, got {listen!r}")
    return hostport.address()


class MetricsServer:
    """The one HTTP server of ``tas serve``: ``/metrics`` from :attr:`registry` (when
    ``enabled``), ``/healthz`` ``/readyz`` and the admin API (:mod:`tas.admin`) of ``context``.
    ``register()`` collectors, ``await start()``, scrape ``http://<address>/metrics``,
    ``await stop()``."""

    def __init__(
        self,
        listen: str,
        context: AdminContext,
        *,
        enabled: bool = True,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.listen = listen
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.context = context
        context.registry = self.registry if enabled else None
        cert, key = (str(tls[0]), str(tls[1])) if tls else (None, None)
        self._http = HttpServer(create_app(context), listen, certfile=cert, keyfile=key)

    def register(self, collector: Collector) -> None:
        self.registry.register(collector)

    @property
    def address(self) -> str:
        """``host:port`` actually bound (the OS's pick for port 0)."""
        return self._http.address

    @property
    def url(self) -> str:
        return f"{self._http.scheme}://{self.address}"

    async def start(self) -> str:
        """Bind and serve in this event loop; OSError when the address is taken."""
        split_listen(self.listen)
        return await self._http.start()

    async def stop(self) -> None:
        """Stop serving and close the socket. Idempotent."""
        await self._http.stop()


class _HasState(Protocol):
    @property
    def state(self) -> str: ...


class _HasMethod(Protocol):
    @property
    def method(self) -> str: ...


class _Transaction(Protocol):
    @property
    def request(self) -> _HasMethod: ...


class _Layer(Protocol):
    @property
    def clients(self) -> Mapping[Any, _Transaction]: ...

    @property
    def servers(self) -> Mapping[Any, _Transaction]: ...


class _Endpoint(Protocol):
    @property
    def calls(self) -> Mapping[Any, _HasState]: ...

    @property
    def layer(self) -> _Layer: ...


class SipCollector(Collector):
    """Calls of the SIP endpoint by state and live transactions (``tas.sip.endpoint``).

    ``endpoint.calls`` holds every call with a dialog: incoming ones from their INVITE,
    outgoing ones once answered (a ringing outgoing call shows as a client INVITE
    transaction)."""

    def __init__(self, endpoint: _Endpoint) -> None:
        self.endpoint = endpoint

    def collect(self) -> Iterator[Metric]:
        calls = GaugeMetricFamily("tas_sip_calls", "SIP calls by dialog state.", labels=["state"])
        states = Counter(c.state for c in list(self.endpoint.calls.values()))
        for state, n in sorted(states.items()):
            calls.add_metric([state], n)
        yield calls
        txns = GaugeMetricFamily(
            "tas_sip_transactions",
            "Live SIP transactions (RFC 3261 §17) by role and method.",
            labels=["role", "method"],
        )
        layer = self.endpoint.layer
        for role, table in (("client", layer.clients), ("server", layer.servers)):
            methods = Counter(t.request.method for t in list(table.values()))
            for method, n in sorted(methods.items()):
                txns.add_metric([role, method], n)
        yield txns


class OverloadCollector(Collector):
    """Overload control of the SIP stack (``tas.transport.guard``):
    ``tas_sip_overload_dropped_total{reason}`` (no answer), ``tas_sip_overload_503_total{reason}``
    (503 + Retry-After), ``tas_sip_receive_errors_total{reason}`` and
    ``tas_event_loop_lag_seconds`` (the last sample)."""

    def __init__(self, guard: Any) -> None:
        self.guard = guard

    def collect(self) -> Iterator[Metric]:
        guard = self.guard
        for name, text, table in (
            ("tas_sip_overload_dropped", "Messages dropped unanswered, by reason.", guard.drops),
            ("tas_sip_overload_503", "503 + Retry-After sent under overload.", guard.rejects),
            ("tas_sip_receive_errors", "Messages that failed to parse or process.", guard.errors),
        ):
            family = CounterMetricFamily(name, text, labels=["reason"])
            for reason, n in sorted(dict(table.totals).items()):
                family.add_metric([reason], n)
            yield family
        yield GaugeMetricFamily(
            "tas_event_loop_lag_seconds", "Event-loop lag, last sample.", value=guard.lag.lag
        )
        yield GaugeMetricFamily(
            "tas_overloaded", "1 while event-loop lag signals overload.", value=guard.overloaded
        )


class _Record(Protocol):
    @property
    def outcome(self) -> str: ...


class _Journal(Protocol):
    @property
    def record(self) -> _Record: ...


class _CallApp(Protocol):
    @property
    def active(self) -> int: ...

    @property
    def journals(self) -> Sequence[_Journal]: ...


class _DirectLegs(Protocol):
    @property
    def active(self) -> Sized: ...

    @property
    def answered(self) -> int: ...


class CallAppCollector(Collector):
    """Legs of the call application (:class:`tas.calls.app.CallApp`); its ``direct`` legs
    (no registration: the ``[invite]`` policy, :class:`tas.calls.direct.DirectStats`) also
    under their own names."""

    def __init__(self, app: _CallApp | None, direct: _DirectLegs | None = None) -> None:
        self.app = app
        self.direct = direct

    def collect(self) -> Iterator[Metric]:
        if self.app is not None:
            yield GaugeMetricFamily(
                "tas_calls_active",
                "Legs the call application is handling now.",
                value=self.app.active,
            )
            recent = GaugeMetricFamily(
                "tas_calls_recent",
                "Outcomes of the last legs (up to 1000) the call application handled.",
                labels=["outcome"],
            )
            outcomes = Counter(j.record.outcome for j in list(self.app.journals))
            for outcome in Outcome:
                recent.add_metric([outcome.value], outcomes[outcome.value])
            yield recent
        if self.direct is not None:
            yield GaugeMetricFamily(
                "tas_policy_calls_active",
                "Direct legs held now (numbers we hold no registration for: [invite] policy).",
                value=len(self.direct.active),
            )
            yield CounterMetricFamily(
                "tas_policy_calls_answered",
                "Direct legs answered since start.",
                value=self.direct.answered,
            )


class _PortPool(Protocol):
    @property
    def in_use(self) -> int: ...

    @property
    def capacity(self) -> int: ...


class MediaCollector(Collector):
    """The RTP port pool of the media engine (``media.ports.PortPool``): one even port per
    media session, so ``in_use`` is the number of live RTP sessions."""

    def __init__(self, pool: _PortPool) -> None:
        self.pool = pool

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "tas_media_rtp_ports_in_use",
            "RTP ports held by live media sessions (one even port each).",
            value=self.pool.in_use,
        )
        yield GaugeMetricFamily(
            "tas_media_rtp_ports_capacity",
            "RTP ports the [media] port range offers.",
            value=self.pool.capacity,
        )


class DirectoryCollector(Collector):
    """The call directory (:class:`tas.calls.directory.Directory`): its counters and health."""

    def __init__(self, stats: DirectoryStats, health: Callable[[], Health]) -> None:
        self.stats = stats
        self.health = health

    def collect(self) -> Iterator[Metric]:
        s = self.stats
        for name, value, text in (
            ("refused", s.refused, "Legs answered 503 because the call directory was unavailable."),
            ("store_failures", s.store_failures, "Failed loads/polls of the call directory."),
            ("outages", s.outages, "Runs of store failures seen by the call directory."),
            ("loads", s.loads, "Full table reloads of the call directory."),
        ):
            yield CounterMetricFamily(f"tas_directory_{name}", text, value=value)
        numbers = GaugeMetricFamily(
            "tas_directory_numbers", "Numbers held in the call directory.", labels=["table"]
        )
        numbers.add_metric(["registrations"], s.registrations)
        numbers.add_metric(["policies"], s.policies)
        yield numbers
        health = GaugeMetricFamily(
            "tas_directory_health", "1 for the call directory's current state.", labels=["state"]
        )
        current = self.health()
        for state in Health:
            health.add_metric([state.value], 1 if state is current else 0)
        yield health
