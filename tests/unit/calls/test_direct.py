"""The decision for legs with no registration (tas.calls.direct): number policy, then the
``*`` policy, then ``[invite]``; route-specific policies never match a direct leg."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from registrations.model import Route
from tas.calls.direct import WILDCARD, decide_direct, hold_seconds
from tas.calls.policy import Action, Policy, PolicyError, parse_policy
from tas.config import InvitePolicy

NUMBER = "+4799990077"


def table(*policies: Policy) -> dict[str, tuple[Policy, ...]]:
    by_number: dict[str, tuple[Policy, ...]] = {}
    for p in policies:
        by_number[p.number] = (*by_number.get(p.number, ()), p)
    return by_number


def lookup(policies: dict[str, tuple[Policy, ...]]):  # type: ignore[no-untyped-def]
    def policies_for(number: str) -> Sequence[Policy]:
        return policies.get(number, ())

    return policies_for


def test_invite_answer_holds_for_max_duration_or_hangup_after() -> None:
    decision = decide_direct("service", lookup({}), InvitePolicy())
    assert decision.action is Action.ANSWER and decision.hold == 3600.0
    assert decision.leg is None and decision.policy is None
    assert hold_seconds(InvitePolicy(hangup_after=0.3)) == 0.3
    assert hold_seconds(InvitePolicy(hangup_after=9000.0, max_duration=60.0)) == 60.0
    announced = decide_direct(NUMBER, lookup({}), InvitePolicy(announcement="/a.wav"))
    assert announced.announcement == "/a.wav" and announced.ring is None  # answers at once
    ringing = decide_direct(NUMBER, lookup({}), InvitePolicy(ring_before_answer=0.5))
    assert ringing.ring == 0.5 and ringing.hold == 3600.0


def test_invite_reject_uses_reject_status() -> None:
    decision = decide_direct(NUMBER, lookup({}), InvitePolicy(action="reject", reject_status=603))
    assert (decision.action, decision.status, decision.hold) == (Action.REJECT, 603, None)


def test_number_policy_beats_wildcard_beats_invite() -> None:
    policies = table(
        Policy(NUMBER, Action.REJECT, status=486),
        Policy(WILDCARD, Action.VOICEMAIL),
    )
    by_number = decide_direct(NUMBER, lookup(policies), InvitePolicy())
    assert (by_number.action, by_number.status, by_number.hold) == (Action.REJECT, 486, None)
    other = decide_direct("+4711112222", lookup(policies), InvitePolicy())
    assert other.action is Action.VOICEMAIL and other.policy is not None
    no_number = decide_direct("service", lookup(policies), InvitePolicy())
    assert no_number.action is Action.VOICEMAIL


def test_route_specific_policies_do_not_match_a_direct_leg() -> None:
    policies = table(Policy(NUMBER, Action.REJECT, route=Route.LOOP, status=486))
    assert decide_direct(NUMBER, lookup(policies), InvitePolicy()).action is Action.ANSWER


def test_wildcard_policy_parses_and_other_non_numbers_do_not() -> None:
    assert parse_policy({"number": "*", "action": "answer"}).number == WILDCARD
    with pytest.raises(PolicyError, match="'\\*'"):
        parse_policy({"number": "**", "action": "answer"})


def test_default_rtp_ports_cover_the_default_call_limit() -> None:
    """Every answered leg holds one RTP/RTCP port pair: the default pool (20000-29999, 5000
    pairs) covers ``[limits] max_calls``; past it a leg gets 503 + Retry-After, never 488."""
    from media.ports import PortPool
    from tas.config import Settings

    settings = Settings()
    pool = PortPool(settings.media.port_min, settings.media.port_max)
    assert settings.limits.max_calls <= pool.capacity == 5000
