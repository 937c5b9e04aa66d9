"""The mailbox menu's asyncio driver (tas.calls.mailbox_access.MenuDriver) with a fake call
media, store and call-back placer, on an event loop whose clock is virtual: a select() with a
timeout advances the clock instead of waiting, so the menu's 8 s input timeouts pass at once
and exactly."""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from media.dtmf import DtmfDigit
from media.recorder import RecordingResult
from tas.calls.mailbox_access import MenuDriver
from tas.voicemail.menu import MailboxMenu, MenuTimers
from tas.voicemail.menu_compose import PromptSet
from tas.voicemail.menu_io import (
    Action,
    MenuMessage,
    PinCheck,
    PinVerified,
    SetGreeting,
    VerifyPin,
)
from tas.voicemail.menu_prompts import Prompt

MAILBOX = "+4799990001"
PROMPTS = PromptSet.load(None)


class _VirtualSelector(selectors.DefaultSelector):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            raise AssertionError("the driver waits for nothing: it would hang")
        self.now += max(0.0, timeout)
        return super().select(0)


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._virtual = _VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now


def run_virtual(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    loop = VirtualLoop()
    try:
        return loop.run_until_complete(asyncio.wait_for(make(), 3600.0))
    finally:
        loop.close()


class FakeRecording:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.stopped = asyncio.get_running_loop().create_future()

    def stop(self) -> None:
        if not self.stopped.done():
            self.path.write_bytes(b"RIFF")
            self.stopped.set_result(None)

    async def wait(self) -> RecordingResult:
        await self.stopped
        return RecordingResult(self.path, 2.5, "stopped")


class FakeMedia:
    """Plays instantly (each piece logged with the loop time); digits come from ``script``."""

    def __init__(self) -> None:
        self.on_dtmf: Callable[[DtmfDigit], None] | None = None
        self.played: list[tuple[float, object]] = []
        self.recordings: list[FakeRecording] = []
        self.stops = 0

    async def play(self, source: object) -> bool:
        self.played.append((asyncio.get_running_loop().time(), source))
        await asyncio.sleep(0)
        return True

    def stop_playback(self) -> None:
        self.stops += 1

    def record(self, path: Path, max_duration: float | None = None) -> FakeRecording:
        recording = FakeRecording(Path(path))
        self.recordings.append(recording)
        return recording

    def key(self, digit: str) -> None:
        assert self.on_dtmf is not None
        self.on_dtmf(DtmfDigit(digit, 0.1, 0, 10))

    def heard(self, piece: Prompt) -> bool:
        return any(source == PROMPTS.path(piece) for _, source in self.played)


class FakeStorage:
    def __init__(self, pin_answers: list[PinCheck]) -> None:
        self.pin_answers = pin_answers
        self.done: list[Action] = []

    async def execute(self, action: Action) -> PinVerified | None:
        self.done.append(action)
        if isinstance(action, VerifyPin):
            return PinVerified(self.pin_answers.pop(0))
        return None


class FakeJournal:
    def __init__(self) -> None:
        self.kinds: list[str] = []

    def note(self, kind: str, detail: str = "") -> None:
        self.kinds.append(kind)


class FakeLeg:
    def __init__(self) -> None:
        self.journal = FakeJournal()
        self.call = type("C", (), {"call_id": "c1"})()


class FakePlacer:
    """Call-backs: each takes ``seconds`` on the loop clock and answers ``connected``."""

    def __init__(self, connected: bool, seconds: float = 5.0) -> None:
        self.connected, self.seconds = connected, seconds
        self.numbers: list[tuple[float, str]] = []

    async def __call__(self, number: str) -> bool:
        self.numbers.append((asyncio.get_running_loop().time(), number))
        await asyncio.sleep(self.seconds)
        return self.connected


async def _not_called(number: str) -> bool:
    raise AssertionError(f"no call-back expected: {number}")


def driver_for(
    trusted: bool,
    pin_answers: list[PinCheck] = (),  # type: ignore[assignment]
    messages: list[MenuMessage] = (),  # type: ignore[assignment]
    placer: Callable[[str], Awaitable[bool]] = _not_called,
) -> tuple[MenuDriver, FakeMedia]:
    media = FakeMedia()
    menu = MailboxMenu(MAILBOX, list(messages), trusted=trusted, timers=MenuTimers())
    storage = FakeStorage(list(pin_answers))
    driver = MenuDriver(menu, media, storage, PROMPTS, FakeLeg(), placer)  # type: ignore[arg-type]
    return driver, media


MESSAGE = MenuMessage("a" * 32, "+4799990002", datetime(2026, 12, 5, 14, 5, tzinfo=UTC),
                      Path("/vm/a.wav"), saved=False)  # fmt: skip


def test_key_3_calls_back_and_a_failure_returns_to_the_message_menu() -> None:
    async def scenario() -> tuple[MenuDriver, FakeMedia, FakePlacer]:
        placer = FakePlacer(connected=False)
        driver, media = driver_for(trusted=True, messages=[MESSAGE], placer=placer)
        task = asyncio.ensure_future(driver.run())
        await asyncio.sleep(1.0)
        media.key("3")
        await asyncio.sleep(10.0)  # the call-back fails after 5 s
        media.key("*")  # not an option in the message menu: hang up
        await task
        await driver.finish()
        return driver, media, placer

    driver, media, placer = run_virtual(scenario)
    assert placer.numbers == [(pytest.approx(1.0), MESSAGE.caller_number)]
    assert media.heard(Prompt.CALLING_BACK)
    failed = [t for t, source in media.played if source == PROMPTS.path(Prompt.CALL_BACK_FAILED)]
    assert failed == [pytest.approx(6.0)]
    assert "mailbox-call-back" in driver.leg.journal.kinds  # type: ignore[attr-defined]


def test_a_connected_call_back_ends_the_menu_when_the_bridge_ends() -> None:
    async def scenario() -> tuple[float, FakeMedia]:
        placer = FakePlacer(connected=True, seconds=42.0)  # rings, then 40 s bridged
        driver, media = driver_for(trusted=True, messages=[MESSAGE], placer=placer)
        task = asyncio.ensure_future(driver.run())
        await asyncio.sleep(1.0)
        media.key("3")
        await task
        await driver.finish()
        return asyncio.get_running_loop().time(), media

    ended, media = run_virtual(scenario)
    assert ended == pytest.approx(43.0)  # no menu timeout fired while calling
    assert not media.heard(Prompt.CALL_BACK_FAILED) and not media.heard(Prompt.GOODBYE)


def test_no_input_replays_the_menu_then_says_goodbye_on_the_loop_clock() -> None:
    async def scenario() -> tuple[float, FakeMedia]:
        driver, media = driver_for(trusted=True)
        await driver.run()
        await driver.finish()
        return asyncio.get_running_loop().time(), media

    ended, media = run_virtual(scenario)
    menus = [t for t, source in media.played if source == PROMPTS.path(Prompt.MAIN_MENU)]
    assert menus == pytest.approx([0.0, 8.0, 16.0])  # played, then replayed twice
    assert media.heard(Prompt.GOODBYE)
    assert ended == pytest.approx(24.0)


def test_three_wrong_pins_end_the_call_after_the_locked_prompt() -> None:
    async def scenario() -> tuple[MenuDriver, FakeMedia]:
        answers = [PinCheck.WRONG, PinCheck.WRONG, PinCheck.LOCKED]
        driver, media = driver_for(trusted=False, pin_answers=answers)
        task = asyncio.ensure_future(driver.run())
        for _ in range(3):
            await asyncio.sleep(0.5)
            for digit in "1111#":
                media.key(digit)
            await asyncio.sleep(0.5)
        await task
        await driver.finish()
        return driver, media

    driver, media = run_virtual(scenario)
    pins = [a for a in driver.storage.done if isinstance(a, VerifyPin)]
    assert [p.pin for p in pins] == ["1111"] * 3
    assert media.heard(Prompt.LOCKED) and not media.heard(Prompt.MAIN_MENU)
    kinds = driver.leg.journal.kinds  # type: ignore[attr-defined]
    assert kinds.count("mailbox-wrong-pin") == 2 and "mailbox-locked" in kinds


def test_a_greeting_recorded_by_phone_is_stored_after_review() -> None:
    async def scenario() -> tuple[MenuDriver, FakeMedia]:
        driver, media = driver_for(trusted=True)
        task = asyncio.ensure_future(driver.run())
        await asyncio.sleep(1.0)
        media.key("0")  # options
        await asyncio.sleep(1.0)
        media.key("1")  # busy greeting: prompt, beep, then the recording starts
        await asyncio.sleep(1.0)
        assert len(media.recordings) == 1
        media.key("#")  # stop
        await asyncio.sleep(1.0)
        media.key("3")  # keep
        await asyncio.sleep(1.0)
        media.key("*")  # back to the main menu
        await asyncio.sleep(1.0)
        media.key("*")  # hang up
        await task
        await driver.finish()
        return driver, media

    driver, media = run_virtual(scenario)
    (stored,) = [a for a in driver.storage.done if isinstance(a, SetGreeting)]
    assert stored.kind.value == "busy" and stored.path == media.recordings[0].path
    assert media.heard(Prompt.GREETING_SAVED) and media.heard(Prompt.GOODBYE)
