"""Call rules end to end through the sandbox core (real SIP, RTP and SQL): a follow-me rule
rings the subscriber's handset, then a second number, then voicemail takes the message; a
time-window rule switches with the call application's (injected) wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from media import tones
from registrations.model import Route
from tas.calls.records import Outcome
from tas.calls.rules import parse_rule
from tas.calls.rules_store import RuleStore
from tas.demo import place_call
from tas.server import TasServer
from tests.integration.calls.calls_helpers import (
    BEEP_SECONDS,
    CALLER,
    GREETING_SECONDS,
    OTHER,
    SUBSCRIBER,
    eventually,
    register,
    settled,
    short_greetings,
)

STEP = 1.0  # seconds each follow-me step rings


@pytest.mark.slow
async def test_follow_me_rings_handset_then_second_number_then_voicemail(
    server: TasServer,
) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.LOOP)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "no-answer")
    server.core.handsets.set(OTHER, "no-answer")
    rule = parse_rule(
        {
            "number": SUBSCRIBER,
            "name": "follow me",
            "action": "ring",
            "steps": [
                {"targets": ["handset"], "timeout": STEP},
                {"targets": [OTHER], "timeout": STEP},
            ],
            "then": "voicemail",
        }
    )
    await RuleStore(server.db).set(SUBSCRIBER, [rule])
    await eventually(lambda: bool(server.directory.rules_for(SUBSCRIBER)))
    spoken = tones.tone([700.0], 1.5)

    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        SUBSCRIBER,
        speak_after=GREETING_SECONDS + BEEP_SECONDS + 0.4,
        message=spoken,
    )
    await settled(server, 10.0)

    assert result.status == 200
    # both handsets rang, in order, and were cancelled (the core saw our CANCELs)
    history = [(h.number, h.outcome) for h in server.core.handsets.history]
    assert history == [(SUBSCRIBER, "cancelled"), (OTHER, "cancelled")]
    a, first, second = server.app.journals
    assert (first.record.callee, second.record.callee) == (SUBSCRIBER, OTHER)
    assert first.record.direction == second.record.direction == "out"
    assert [d for k, d in a.notes if k == "follow-me"] == [
        f"step 1: ring handset for {STEP:g} s",
        f"step 2: ring {OTHER} for {STEP:g} s",
        "no answer: voicemail",
    ]
    # timings: each step rang for its timeout, the next began when it ended
    assert first.record.ended is not None and second.record.ended is not None
    rang1 = (first.record.ended - first.record.started).total_seconds()
    rang2 = (second.record.ended - second.record.started).total_seconds()
    assert STEP - 0.05 <= rang1 <= STEP + 1.0 and STEP - 0.05 <= rang2 <= STEP + 1.0
    gap = (second.record.started - first.record.ended).total_seconds()
    assert 0 <= gap < 0.5
    assert a.record.answered is not None and a.record.answered >= second.record.ended
    assert a.record.outcome == Outcome.VOICEMAIL_LEFT.value
    # voicemail recorded the caller with reason no-answer
    (message,) = await server.voicemail.list_messages(SUBSCRIBER)
    assert (message.caller, message.reason.value) == (CALLER, "no-answer")
    assert message.duration >= 1.0
    assert a.record.voicemail_id == message.voicemail_id


async def test_time_window_rule_switches_with_the_clock(server: TasServer) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.LOOP)
    rule = parse_rule(
        {
            "number": SUBSCRIBER,
            "name": "weekends off",
            "action": "reject",
            "status": 603,
            "time_zone": "Europe/Oslo",
            "days": ["sat", "sun"],
        }
    )
    await RuleStore(server.db).set(SUBSCRIBER, [rule])
    await eventually(lambda: bool(server.directory.rules_for(SUBSCRIBER)))

    async def call_at(when: datetime) -> int:
        server.app.wall_clock = lambda: when
        result = await place_call(
            server.engine, server.core.address("UDP"), CALLER, SUBSCRIBER,
            speak_after=0.1, message=tones.tone([700.0], 0.2), hangup_after=0.5,
        )  # fmt: skip
        await settled(server)
        return result.status

    # Friday 23:30 UTC is Saturday 00:30 in Oslo (CET): the rule holds
    assert await call_at(datetime(2026, 12, 4, 23, 30, tzinfo=UTC)) == 603
    # Friday 22:30 UTC is still Friday in Oslo: no rule, the LOOP default rings the handset
    assert await call_at(datetime(2026, 12, 4, 22, 30, tzinfo=UTC)) == 200
    assert [h.number for h in server.core.handsets.history] == [SUBSCRIBER]
