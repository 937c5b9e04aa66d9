"""Early media per policy (issue 13 item 4) through the whole call path (caller -> sandbox core
-> TLS -> TAS): an ``answer`` policy with ``early_media`` plays its announcement in 183 Session
Progress and ends with its status, never answered (no charge); a ``voicemail`` policy with
``early_media`` plays a refusal prompt in 183 even when ``refusal_prompt`` says ``answer``."""

from __future__ import annotations

import time

from registrations.model import Route
from tas.calls.announce import default_announcement
from tas.calls.policy import Action, Policy
from tas.calls.records import Outcome
from tas.server import TasServer
from tas.voicemail.limits import PROMPTS, Refusal
from tests.integration.calls.calls_helpers import (
    SUBSCRIBER,
    call_subscriber,
    register,
    settled,
    short_greetings,
)

CHIME_SECONDS = len(default_announcement()) / 16000


async def _call(server: TasServer) -> tuple[int, float | None, float]:
    started = time.monotonic()
    result = await call_subscriber(server, hangup_after=20.0)
    await settled(server, 15.0)
    return result.status, result.answered_at, time.monotonic() - started


async def test_announcement_in_183_then_the_policy_status(server: TasServer) -> None:
    await register(server, SUBSCRIBER, Route.LOOP)
    policy = Policy(SUBSCRIBER, Action.ANSWER, status=480, early_media=True)
    await server.app.policies.put(policy)
    status, answered_at, took = await _call(server)
    (leg,) = server.app.journals
    assert status == 480 and answered_at is None  # never answered: nothing charged
    assert leg.kinds[:3] == ["invite", "early-media", "announcement"]
    assert "answered" not in leg.kinds and leg.kinds[-1] == "rejected"
    assert leg.record.outcome == Outcome.REJECTED.value and leg.record.status == 480
    assert took >= CHIME_SECONDS - 0.05  # the 480 came after the announcement (last packet)


async def test_voicemail_policy_refuses_in_183_whatever_refusal_prompt_says(
    server: TasServer,
) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "busy")
    server.voicemail.settings.max_messages = 0  # full
    assert server.voicemail.settings.refusal_prompt == "answer"
    await server.app.policies.put(Policy(SUBSCRIBER, Action.VOICEMAIL, early_media=True))
    status, answered_at, _ = await _call(server)
    (leg,) = server.app.journals
    assert status >= 400 and answered_at is None  # the core relays its best failure
    assert leg.record.status == 480
    assert "early-media" in leg.kinds and "answered" not in leg.kinds
    assert ("prompt-played", PROMPTS[Refusal.MAILBOX_FULL].name) in leg.notes, leg.notes
    assert leg.record.outcome == Outcome.REJECTED.value
