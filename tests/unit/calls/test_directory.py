"""The call directory on a virtual clock: load, in-process changes, a store outage served
stale, expiry into 503, recovery, and each of those logged once (issue #10 item 3)."""

from __future__ import annotations

import logging

import pytest

from registrations.model import Registration, Route
from registrations.schedule import Entry
from registrations.store import EntrySaved
from tas.calls.directory import Directory, DirectoryOptions, Health
from tas.calls.policy import Action, Policy
from tas.calls.policy_store import PoliciesWritten
from tas.calls.routing import Direction
from tas.calls.sources import DirectoryUnavailable, StaticRegistrations
from tas.metrics import DirectoryCollector
from tas.store.changes import Topic

ALICE = "+4799990000"
BOB = "+4712345678"
URI = "sips:tas.example.com"
OPTIONS = DirectoryOptions(poll_interval=2.0, max_stale=60.0, retry_after=17)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def loaded(clock: Clock, *regs: Registration, policies: tuple[Policy, ...] = ()) -> Directory:
    directory = Directory(options=OPTIONS, clock=clock)
    directory.replace_registrations(regs)
    directory.replace_policies(policies)
    directory.confirmed()
    return directory


def records(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if f"event={event}" in r.getMessage()]


def test_before_the_first_load_every_leg_is_refused_with_retry_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory = Directory(options=OPTIONS, clock=Clock())
    assert directory.health() is Health.UNAVAILABLE
    for _ in range(100):
        with pytest.raises(DirectoryUnavailable) as exc:
            directory.find(ALICE, BOB)
    assert exc.value.retry_after == 17 and "not loaded" in exc.value.reason
    assert directory.stats.refused == 100
    assert len(records(caplog, "legs_refused")) == 1  # once, not per INVITE


def test_a_loaded_directory_decodes_legs_and_holds_policies() -> None:
    policy = Policy(ALICE, Action.REJECT, status=603)
    directory = loaded(
        Clock(), Registration(ALICE, Route.LOOP, URI, "11", "22"), policies=(policy,)
    )
    assert directory.health() is Health.FRESH
    mt = directory.find("+22" + ALICE[1:], BOB)
    assert mt is not None and mt.direction is Direction.MT and mt.callee == ALICE
    mo = directory.find("+11" + BOB[1:], ALICE)
    assert mo is not None and mo.direction is Direction.MO and mo.callee == BOB
    assert directory.find(BOB, "+4700000000") is None
    assert list(directory.policies_for(ALICE)) == [policy]
    assert directory.policies_for(BOB) == ()
    assert (directory.stats.registrations, directory.stats.policies) == (1, 1)


def test_in_process_writes_apply_at_once() -> None:
    directory = loaded(Clock())
    reg = Registration(ALICE, Route.FALLBACK, URI)
    directory.apply(EntrySaved(Topic.REGISTRATIONS, ALICE, Entry(ALICE, desired=reg)))
    info = directory.find(ALICE, BOB)
    assert info is not None and info.route is Route.FALLBACK
    accepted = Registration(ALICE, Route.LOOP, URI)
    directory.apply(EntrySaved(Topic.REGISTRATIONS, ALICE, Entry(ALICE, reg, accepted)))
    info = directory.find(ALICE, BOB)
    assert info is not None and info.route is Route.LOOP  # the accepted one routes
    directory.apply(EntrySaved(Topic.REGISTRATIONS, ALICE, None))
    assert directory.find(ALICE, BOB) is None

    policy = Policy(ALICE, Action.VOICEMAIL)
    directory.apply(PoliciesWritten(Topic.POLICIES, ALICE, (policy,)))
    assert list(directory.policies_for(ALICE)) == [policy]
    directory.apply(PoliciesWritten(Topic.POLICIES, ALICE, ()))
    assert directory.policies_for(ALICE) == ()
    directory.apply(PoliciesWritten(Topic.POLICIES, None, (Policy(BOB, Action.ANSWER),)))
    assert directory.policies_for(BOB) and directory.stats.policies == 1


def test_outage_serves_stale_then_refuses_then_recovers_logging_each_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    directory = loaded(clock, Registration(ALICE, Route.LOOP, URI))
    caplog.clear()
    for _ in range(10):  # polls fail every 2 s
        clock.now += 2.0
        directory.failed(ConnectionRefusedError("db down"))
    assert directory.health() is Health.STALE
    assert directory.find(ALICE, BOB) is not None  # the last known state still routes
    assert len(records(caplog, "directory_store_unavailable")) == 1
    assert "stale" in records(caplog, "directory_store_unavailable")[0].getMessage()

    clock.now += 60.0  # beyond max_stale
    directory.failed(ConnectionRefusedError("db down"))
    directory.failed(ConnectionRefusedError("db down"))
    assert directory.health() is Health.UNAVAILABLE
    for _ in range(50):
        with pytest.raises(DirectoryUnavailable, match="stale for"):
            directory.find(ALICE, BOB)
    assert len(records(caplog, "directory_expired")) == 1
    assert len(records(caplog, "legs_refused")) == 1
    assert (directory.stats.store_failures, directory.stats.outages) == (12, 1)

    directory.confirmed()
    assert directory.health() is Health.FRESH and directory.find(ALICE, BOB) is not None
    (recovered,) = records(caplog, "directory_recovered")
    assert "failures=12" in recovered.getMessage() and "refused=50" in recovered.getMessage()
    assert not [r for r in caplog.records if r.exc_info]  # no tracebacks

    directory.failed(OSError("again"))  # a new outage is logged again, once
    assert len(records(caplog, "directory_store_unavailable")) == 2
    assert directory.stats.outages == 2


def test_a_poller_that_stops_answering_ages_into_unavailable() -> None:
    clock = Clock()
    directory = loaded(clock, Registration(ALICE, Route.LOOP, URI))
    clock.now += 60.5  # no poll confirmed anything (hung connection): no failure reported
    with pytest.raises(DirectoryUnavailable):
        directory.find(ALICE, BOB)


def test_live_sources_follow_the_stored_table_first_wins_per_route() -> None:
    stored = Registration(ALICE, Route.LOOP, URI, "11")
    live_same_route = Registration(ALICE, Route.LOOP, "sips:other", "99")
    live_fork = Registration(BOB, Route.FORK, URI)
    directory = Directory(
        [StaticRegistrations([live_same_route, live_fork])], options=OPTIONS, clock=Clock()
    )
    directory.replace_registrations([stored])
    directory.confirmed()
    assert list(directory.registrations_for(ALICE)) == [stored]
    info = directory.find(BOB, ALICE)
    assert info is not None and info.route is Route.FORK and info.direction is Direction.MT


def test_options_are_checked() -> None:
    with pytest.raises(ValueError):
        DirectoryOptions(poll_interval=0)
    with pytest.raises(ValueError):
        DirectoryOptions(poll_interval=10, max_stale=5)
    with pytest.raises(ValueError):
        DirectoryOptions(retry_after=-1)


def test_metrics_count_refusals_and_show_health() -> None:
    directory = Directory(options=OPTIONS, clock=Clock())
    with pytest.raises(DirectoryUnavailable):
        directory.find(ALICE, BOB)
    directory.failed(OSError("down"))
    metrics = {
        (s.name, tuple(s.labels.values())): s.value
        for family in DirectoryCollector(directory.stats, directory.health).collect()
        for s in family.samples
    }
    assert metrics[("tas_directory_refused_total", ())] == 1
    assert metrics[("tas_directory_store_failures_total", ())] == 1
    assert metrics[("tas_directory_health", ("unavailable",))] == 1
    assert metrics[("tas_directory_health", ("fresh",))] == 0
