"""The ``tas_*`` collectors read fake endpoint / call-app / port-pool state at scrape time."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from prometheus_client import CollectorRegistry

from media.ports import PortPool
from tas.metrics import (
    CallAppCollector,
    MediaCollector,
    OverloadCollector,
    SipCollector,
    split_listen,
)


@dataclass
class FakeCall:
    state: str


@dataclass
class FakeRequest:
    method: str


@dataclass
class FakeTransaction:
    request: FakeRequest


@dataclass
class FakeLayer:
    clients: dict[tuple[str, ...], FakeTransaction] = field(default_factory=dict)
    servers: dict[tuple[str, ...], FakeTransaction] = field(default_factory=dict)


@dataclass
class FakeEndpoint:
    calls: dict[tuple[str, str, str], FakeCall] = field(default_factory=dict)
    layer: FakeLayer = field(default_factory=FakeLayer)


@dataclass
class FakeRecord:
    outcome: str


@dataclass
class FakeJournal:
    record: FakeRecord


@dataclass
class FakeCallApp:
    active: int = 0
    journals: list[FakeJournal] = field(default_factory=list)


@dataclass
class FakePolicyApp:
    active: dict[str, object] = field(default_factory=dict)
    answered: int = 0


def test_sip_calls_by_state_and_transactions_by_role_and_method() -> None:
    endpoint = FakeEndpoint()
    registry = CollectorRegistry()
    registry.register(SipCollector(endpoint))
    assert registry.get_sample_value("tas_sip_calls", {"state": "confirmed"}) is None
    endpoint.calls = {
        ("a", "1", "2"): FakeCall("confirmed"),
        ("b", "1", "2"): FakeCall("confirmed"),
        ("c", "1", "2"): FakeCall("early"),
    }
    endpoint.layer.clients[("z9hG4bK1", "INVITE")] = FakeTransaction(FakeRequest("INVITE"))
    endpoint.layer.servers[("z9hG4bK2", "INVITE")] = FakeTransaction(FakeRequest("INVITE"))
    endpoint.layer.servers[("z9hG4bK3", "BYE")] = FakeTransaction(FakeRequest("BYE"))
    assert registry.get_sample_value("tas_sip_calls", {"state": "confirmed"}) == 2
    assert registry.get_sample_value("tas_sip_calls", {"state": "early"}) == 1
    txns = {"role": "server", "method": "BYE"}
    assert registry.get_sample_value("tas_sip_transactions", txns) == 1
    txns = {"role": "client", "method": "INVITE"}
    assert registry.get_sample_value("tas_sip_transactions", txns) == 1
    endpoint.calls.clear()  # read at scrape time: nothing is cached
    assert registry.get_sample_value("tas_sip_calls", {"state": "confirmed"}) is None


def test_call_app_outcomes_and_policy_counts() -> None:
    app = FakeCallApp(active=2)
    app.journals = [FakeJournal(FakeRecord(o)) for o in ("voicemail-left", "forwarded")] * 2
    app.journals.append(FakeJournal(FakeRecord("in-progress")))
    fallback = FakePolicyApp(active={"call": object()}, answered=7)
    registry = CollectorRegistry()
    registry.register(CallAppCollector(app, fallback))
    assert registry.get_sample_value("tas_calls_active") == 2
    recent = "tas_calls_recent"
    assert registry.get_sample_value(recent, {"outcome": "voicemail-left"}) == 2
    assert registry.get_sample_value(recent, {"outcome": "in-progress"}) == 1
    assert registry.get_sample_value(recent, {"outcome": "rejected"}) == 0  # every outcome shown
    assert registry.get_sample_value("tas_policy_calls_active") == 1
    assert registry.get_sample_value("tas_policy_calls_answered_total") == 7


def test_call_app_absent_exposes_only_the_policy() -> None:
    registry = CollectorRegistry()
    registry.register(CallAppCollector(None, FakePolicyApp()))
    assert registry.get_sample_value("tas_calls_active") is None
    assert registry.get_sample_value("tas_policy_calls_answered_total") == 0


def test_media_ports_in_use_follow_the_pool() -> None:
    pool = PortPool(10000, 10009)  # 5 even ports
    registry = CollectorRegistry()
    registry.register(MediaCollector(pool))
    assert registry.get_sample_value("tas_media_rtp_ports_capacity") == 5
    assert registry.get_sample_value("tas_media_rtp_ports_in_use") == 0
    port = pool.acquire()
    pool.acquire()
    assert registry.get_sample_value("tas_media_rtp_ports_in_use") == 2
    pool.release(port)
    assert registry.get_sample_value("tas_media_rtp_ports_in_use") == 1


def test_listen_addresses() -> None:
    assert split_listen("127.0.0.1:9100") == ("127.0.0.1", 9100)
    assert split_listen("[::1]:0") == ("::1", 0)
    for bad in ("9100", ":9100", "localhost:", "host:http", "host:70000"):
        with pytest.raises(ValueError, match="host:port"):
            split_listen(bad)


def test_overload_drops_503s_and_lag() -> None:
    from tas.transport.guard import OverloadGuard
    from tas.transport.overload import OverloadLimits

    guard = OverloadGuard(OverloadLimits())
    registry = CollectorRegistry()
    registry.register(OverloadCollector(guard))
    for _ in range(3):
        guard.dropped("rate", "127.0.0.2", 0.0)
    guard.rejected("invite_lag", "127.0.0.1", 0.0)
    guard.lag.observe(0.5, 0.0)
    get = registry.get_sample_value
    assert get("tas_sip_overload_dropped_total", {"reason": "rate"}) == 3
    assert get("tas_sip_overload_503_total", {"reason": "invite_lag"}) == 1
    assert get("tas_event_loop_lag_seconds") == 0.5
    assert get("tas_overloaded") == 1
