"""The call application's announcement flows (tas.calls.announce) without sockets: announce
(answer, play, BYE), the early announcement (183 with SDP, play, the policy's status, never
answered), and the DTMF menu (a key runs its action; no key: the announcement again, at most
MAX_ROUNDS times), on in-memory endpoints with a fake CallMedia (tests.unit.calls.leg_world)."""

from __future__ import annotations

import asyncio

from tas.calls.announce import MAX_ROUNDS, announce, announce_early, default_announcement, run_menu
from tas.calls.policy import Action
from tas.calls.records import Outcome
from tas.sip.events import CallAnswered, CallEnded, CallFailed, CallProgress
from tests.unit.calls.leg_world import FakeMedia, World


def _statuses(w: World) -> list[int]:
    return [e.response.status for e in w.core_events if isinstance(e, CallProgress)]


async def test_announce_answers_plays_the_chime_and_hangs_up() -> None:
    w = World(FakeMedia())
    task = asyncio.ensure_future(announce(w.leg, None))
    await w.until(task.done)
    await w.until(w.ended_at_core)
    assert w.media.played == [default_announcement()]
    assert [e for e in w.core_events if isinstance(e, CallAnswered)]
    (ended,) = [e for e in w.core_events if isinstance(e, CallEnded)]
    assert ended.by_remote  # the TAS sent the BYE
    assert w.journal.record.outcome == Outcome.ANSWERED_BY_TAS.value
    assert ("announcement", "default") in w.journal.notes and w.kinds()[-1] == "bye"


async def test_announce_interrupted_by_the_caller_sends_no_bye() -> None:
    w = World(FakeMedia(hold_prompts=True))
    task = asyncio.ensure_future(announce(w.leg, None))
    await w.until(lambda: bool(w.media.played))
    w.core.bye(w.call_from_core, w.net.now)
    await w.until(task.done)
    assert ("bye", "caller hung up") in w.journal.notes  # the leg's own note of the BYE
    assert ("bye", "tas hung up") not in w.journal.notes  # and no BYE of ours after it
    assert w.journal.record.outcome == Outcome.ANSWERED_BY_TAS.value


async def test_early_announcement_in_183_then_the_status_never_answered() -> None:
    w = World(FakeMedia())
    task = asyncio.ensure_future(announce_early(w.leg, None, 486))
    await w.until(task.done)
    await w.until(lambda: any(isinstance(e, CallFailed) for e in w.core_events))
    assert 183 in _statuses(w) and w.media.played == [default_announcement()]
    (failed,) = [e for e in w.core_events if isinstance(e, CallFailed)]
    assert failed.response.status == 486
    assert not [e for e in w.core_events if isinstance(e, CallAnswered)]  # nothing charged
    assert w.journal.record.outcome == Outcome.REJECTED.value


async def test_menu_key_runs_its_action() -> None:
    w = World(FakeMedia(keys=["", "2"]))  # no key in the first round, then 2
    chosen: list[str] = []

    async def voicemail() -> None:
        chosen.append("voicemail")

    menu = {"1": Action.REJECT, "2": Action.VOICEMAIL}
    task = asyncio.ensure_future(run_menu(w.leg, None, menu, voicemail))
    await w.until(task.done)
    assert chosen == ["voicemail"]
    assert len(w.media.played) == 2  # announced, no key, announced again
    assert ("dtmf", "2") in w.journal.notes and w.journal.kinds.count("menu") == 2
    assert w.media.on_dtmf is None  # the voicemail flow gets the digits


async def test_menu_without_a_key_gives_up_after_max_rounds() -> None:
    w = World(FakeMedia())
    chosen: list[str] = []

    async def voicemail() -> None:
        chosen.append("voicemail")

    task = asyncio.ensure_future(run_menu(w.leg, None, {"1": Action.VOICEMAIL}, voicemail))
    await w.until(task.done)
    await w.until(w.ended_at_core)
    assert chosen == [] and len(w.media.played) == MAX_ROUNDS
    assert w.journal.kinds.count("menu") == MAX_ROUNDS and w.kinds()[-1] == "bye"
