"""Per-number policies decide what the TAS does with a LOOP leg: reject with a chosen status,
answer with an announcement, a DTMF menu leading to voicemail, forward to another number."""

from __future__ import annotations

from media import tones
from registrations.model import Route
from tas.calls.policy import Action, Policy
from tas.calls.records import Outcome
from tas.demo import CallerResult, place_call
from tas.server import TasServer
from tests.integration.calls.calls_helpers import (
    CALLER,
    OTHER,
    SUBSCRIBER,
    register,
    settled,
    short_greetings,
    voice_events,
)


async def _loop_call(server: TasServer, policy: Policy, **kwargs: object) -> CallerResult:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.LOOP)
    await server.app.policies.put(policy)
    options: dict[str, object] = {"speak_after": 0.2, "message": tones.tone([700.0], 0.3)}
    options.update(kwargs)
    result = await place_call(
        server.engine,
        server.core.address("UDP"),
        CALLER,
        SUBSCRIBER,
        **options,  # type: ignore[arg-type]
    )
    await settled(server)
    return result


async def test_reject_with_the_policy_status(server: TasServer) -> None:
    result = await _loop_call(server, Policy(SUBSCRIBER, Action.REJECT, status=603))
    assert result.status == 603
    (leg,) = server.app.journals
    assert leg.kinds == ["invite", "rejected"]
    assert (leg.record.outcome, leg.record.status) == (Outcome.REJECTED.value, 603)
    assert voice_events(server)[-1] == "CALL_ENDED"
    assert server.core is not None and not server.core.handsets.history


async def test_answer_plays_the_announcement_and_hangs_up(server: TasServer) -> None:
    result = await _loop_call(
        server, Policy(SUBSCRIBER, Action.ANSWER), hangup_after=30.0, speak_after=30.0
    )
    assert result.status == 200
    (leg,) = server.app.journals
    assert leg.kinds[:2] == ["invite", "answered"]
    assert "announcement" in leg.kinds and leg.kinds[-1] == "bye"
    assert leg.record.outcome == Outcome.ANSWERED_BY_TAS.value
    assert {"CALL_ANSWERED", "CALL_ENDED"} <= set(voice_events(server))


async def test_menu_digit_leads_to_voicemail(server: TasServer) -> None:
    short_greetings(server, SUBSCRIBER)
    menu = Policy(SUBSCRIBER, Action.ANSWER, menu={"1": Action.VOICEMAIL})
    message = bytes(8000) + tones.tone([600.0], 1.5)  # 0.5 s pause, then speech
    result = await _loop_call(server, menu, speak_after=0.2, digits="1", message=message)
    assert result.status == 200
    (leg,) = server.app.journals
    kinds = [k for k in leg.kinds if k != "confirmed"]  # the ACK may come before or after
    assert kinds[:4] == ["invite", "answered", "menu", "dtmf"]
    assert kinds[4:7] == ["greeting", "beep", "recording-started"]
    assert leg.record.outcome == Outcome.VOICEMAIL_LEFT.value
    (stored,) = await server.voicemail.list_messages(SUBSCRIBER)
    assert stored.caller == CALLER and stored.duration >= 1.0
    assert voice_events(server)[-1] == "NEW_VOICEMAIL"


async def test_forward_to_another_number_through_the_core(server: TasServer) -> None:
    result = await _loop_call(
        server, Policy(SUBSCRIBER, Action.FORWARD, target=OTHER), hangup_after=1.0
    )
    assert result.status == 200
    leg2, leg3 = server.app.journals
    assert leg2.record.outcome == leg3.record.outcome == Outcome.FORWARDED.value
    assert leg3.record.callee == OTHER
    assert server.core is not None
    assert [h.number for h in server.core.handsets.history] == [OTHER]


async def test_forward_to_an_unreachable_uri_fails_cleanly(server: TasServer) -> None:
    dead = "sip:+4799990009@127.0.0.1:1;transport=tcp"  # nothing listens: connect refused
    result = await _loop_call(server, Policy(SUBSCRIBER, Action.FORWARD, target=dead))
    assert result.status == 503
    leg2, leg3 = server.app.journals
    assert leg2.record.outcome == Outcome.REJECTED.value and leg2.record.status == 503
    assert leg3.kinds == ["invite", "failed"]
    assert voice_events(server)[-1] == "CALL_ENDED"


async def test_unreadable_announcement_plays_the_default(server: TasServer) -> None:
    policy = Policy(SUBSCRIBER, Action.ANSWER, announcement="/nonexistent/hello.wav")
    result = await _loop_call(server, policy, hangup_after=30.0, speak_after=30.0)
    assert result.status == 200 and result.remote_hangup
    (leg,) = server.app.journals
    assert "announcement-unreadable" in leg.kinds and leg.kinds[-1] == "bye"
    assert leg.record.outcome == Outcome.ANSWERED_BY_TAS.value
