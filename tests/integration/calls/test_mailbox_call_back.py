"""Mailbox key 3 "call back" over real SIP and RTP (issue #15): the subscriber calls their own
number (UDP -> sandbox core -> TLS -> TAS), logs in, and presses 3 on a message; the TAS calls
the message's caller through the core as INGRESS and relays the RTP between the two legs. The
called party's tone reaches the subscriber and the subscriber's speech reaches the called party;
a BYE from either side ends both; a declined call-back and a hidden caller return to the menu
with a prompt; the new leg is recorded and linked to the mailbox call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from media.tones import speech_like, tone_ratio
from media.wav import read_wav
from registrations.model import Route
from tas.calls.journal import CallJournal
from tas.events.history import find_timeline
from tas.sandbox.subscribers import TONE_HZ, HandsetCall
from tas.server import TasServer
from tas.voicemail.menu_prompts import Prompt
from tas.voicemail.pin_store import PinStore
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.calls.calls_helpers import (
    CALLER,
    SUBSCRIBER,
    all_but_one_heard,
    eventually,
    register,
    running_server,
    settled,
)
from tests.integration.calls.test_mailbox_by_phone import PIN, Caller, heard, seconds_of

pytestmark = pytest.mark.slow

RINGBACK_HZ = 425.0  # media.tones.ringback (the European cadence)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    async for running in running_server(tmp_path / "data", lag_guard=False):
        yield running


async def _mailbox_with(server: TasServer, *callers: str) -> None:
    """SUBSCRIBER's mailbox (LOOP, PIN asked) with one message from each of ``callers``
    (oldest first); CALLER may be called by the TAS (INGRESS)."""
    await register(server, SUBSCRIBER, Route.LOOP)
    await register(server, CALLER, Route.INGRESS)
    server.voicemail.settings.pin_required = True
    await PinStore(server.voicemail.db).set_pin(SUBSCRIBER, PIN)
    now = datetime.now(UTC)
    message = pcm16_wav(speech_like(1.2))
    for age, caller in enumerate(reversed(callers)):
        await server.voicemail.deposit(
            SUBSCRIBER, caller, message, now=now - timedelta(minutes=age + 1)
        )


def tone_seconds(pcm: bytes, hz: float) -> float:
    """Seconds of ``pcm`` (in 0.5 s blocks) whose energy is ≥ 90 % at ``hz``: a pure tone
    heard, not just any sound (a cross-correlation with a periodic tone has no single peak)."""
    block = 8000  # 0.5 s of 8 kHz PCM16
    blocks = [pcm[i : i + block] for i in range(0, len(pcm) - block + 1, block)]
    return 0.5 * sum(1 for b in blocks if tone_ratio(b, hz) >= 0.9)


def _handset(server: TasServer, number: str) -> HandsetCall | None:
    assert server.core is not None
    return next((h for h in server.core.handsets.history if h.number == number), None)


def _journals(server: TasServer, action: str) -> list[CallJournal]:
    return [j for j in server.app.journals if j.record.action == action]


async def _log_in_and_press_3(call: Caller) -> None:
    await asyncio.sleep(0.5)
    await call.keys(PIN + "#")
    await asyncio.sleep(1.5)  # the count starts: 3 barges in on the first message
    await call.keys("3")


async def test_call_back_bridges_the_subscriber_to_the_caller(
    server: TasServer, tmp_path: Path
) -> None:
    await _mailbox_with(server, CALLER)
    assert server.core is not None
    server.core.handsets.set(CALLER, "answer:3.0")  # "calling back", then ringing
    said = speech_like(2.0)
    async with Caller(server, tmp_path, SUBSCRIBER, SUBSCRIBER) as call:
        await _log_in_and_press_3(call)
        await eventually(lambda: (h := _handset(server, CALLER)) is not None
                         and h.outcome == "answered", 10.0)  # fmt: skip
        far = _handset(server, CALLER)
        assert far is not None and far.media is not None
        far_heard = far.media.record(tmp_path / "far.wav", max_duration=30.0)
        await asyncio.sleep(1.0)
        await call.session.play(said)  # the subscriber speaks to the called party
        await asyncio.sleep(1.0)
    # the subscriber hung up (leaving the block): the called party's leg is ended too
    await eventually(lambda: far.outcome == "ended", 10.0)
    await settled(server, 15.0)
    result = await far_heard.wait()
    assert result.path is not None
    far_audio = read_wav(result.path).pcm16()
    assert all_but_one_heard(far_audio, said)  # subscriber -> called party
    assert tone_seconds(call.heard, TONE_HZ) >= 2.0  # and back: the called party's tone
    assert tone_seconds(call.heard, RINGBACK_HZ) >= 0.5  # the subscriber heard it ring

    (mailbox,) = _journals(server, "mailbox")
    (back,) = _journals(server, "call-back")
    assert {"mailbox-call-back", "call-back", "bridged", "bridge-ended"} <= set(mailbox.kinds)
    assert {"invite", "answered", "bridged", "bridge-ended"} <= set(back.kinds)
    record = back.record
    assert (record.direction, record.route, record.caller, record.callee) == (
        "out", "ingress", SUBSCRIBER, CALLER)  # fmt: skip
    assert record.outcome == "answered-by-handset" and record.ended is not None
    assert record.session_id is not None and record.session_id == mailbox.record.session_id
    # INGRESS: a new call in the core, not a leg 3 of the mailbox call
    assert far.session_id is not None and record.session_id not in far.session_id

    # one timeline (tas calls show …) holds both legs and the call-back milestones
    assert server.app.records is not None
    timeline = await find_timeline(server.app.records.db, mailbox.record.sip_call_id)
    assert timeline is not None
    legs = {leg.sip_call_id: leg.action for leg in timeline.legs}
    assert legs == {mailbox.record.sip_call_id: "mailbox", record.sip_call_id: "call-back"}
    kinds = [e.kind for e in timeline.entries if e.source == "tas"]
    assert kinds.count("call-back") == 2 and kinds.count("bridged") == 2


async def test_the_called_party_hanging_up_ends_the_mailbox_call(
    server: TasServer, tmp_path: Path
) -> None:
    await _mailbox_with(server, CALLER)
    assert server.core is not None
    handsets = server.core.handsets
    async with Caller(server, tmp_path, SUBSCRIBER, SUBSCRIBER) as call:
        await _log_in_and_press_3(call)
        await eventually(lambda: (h := _handset(server, CALLER)) is not None
                         and h.outcome == "answered", 10.0)  # fmt: skip
        await asyncio.sleep(1.0)
        stack = handsets.stack
        assert stack is not None
        (far_call,) = [c for c in stack.endpoint.calls.values() if c.state == "confirmed"]
        stack.endpoint.bye(far_call, stack.now())
        stack.flush()
        assert await call.ended(10.0)  # the TAS ended the subscriber's leg (BYE)
    await settled(server, 15.0)
    (mailbox,) = _journals(server, "mailbox")
    assert any(n == "bridge-ended" for n in mailbox.kinds)
    assert mailbox.kinds[-1] in ("bye", "bridge-ended")


async def test_declined_and_hidden_call_backs_return_to_the_menu(
    server: TasServer, tmp_path: Path
) -> None:
    await _mailbox_with(server, "anonymous", CALLER)  # the hidden caller's message first
    assert server.core is not None
    server.core.handsets.set(CALLER, "busy")
    async with Caller(server, tmp_path, SUBSCRIBER, SUBSCRIBER) as call:
        await _log_in_and_press_3(call)  # hidden: "the number is not available"
        await asyncio.sleep(seconds_of(Prompt.NUMBER_NOT_AVAILABLE) + 0.5)
        await call.keys("9")  # the next message: CALLER's
        await asyncio.sleep(1.0)
        await call.keys("3")  # CALLER is busy: "the call could not be connected"
        await asyncio.sleep(seconds_of(Prompt.CALLING_BACK, Prompt.CALL_BACK_FAILED) + 1.5)
        await call.keys("2")  # the menu goes on: save this message
        await asyncio.sleep(1.5)
        assert call.call.call.state == "confirmed"
    await settled(server, 15.0)
    assert heard(call.heard, Prompt.NUMBER_NOT_AVAILABLE) >= 0.9
    assert heard(call.heard, Prompt.CALL_BACK_FAILED) >= 0.9
    stored = await server.voicemail.list_messages(SUBSCRIBER)
    assert [(m.caller_number, m.played) for m in stored if m.played] == [(CALLER, True)]
    (back,) = _journals(server, "call-back")
    assert (back.record.outcome, back.record.status) == ("rejected", 486)
    (mailbox,) = _journals(server, "mailbox")
    assert "call-back-failed" in mailbox.kinds and "bridged" not in mailbox.kinds
