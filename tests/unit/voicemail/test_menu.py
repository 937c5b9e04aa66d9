"""The mailbox menu on a virtual clock: a whole session, PIN lockout, timeouts and replays,
hidden callers, PIN change validation (tas.voicemail.menu, issue 15 item 1)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tas.voicemail.menu import MailboxMenu, MenuTimers
from tas.voicemail.menu_io import (
    Action,
    Beep,
    CallBack,
    CallBackEnded,
    DeleteMessage,
    DiscardRecording,
    DtmfDigit,
    GreetingKind,
    Hangup,
    Log,
    LogKind,
    MarkSaved,
    MenuMessage,
    PinCheck,
    PinVerified,
    Play,
    PromptFinished,
    RecordingFinished,
    SetGreeting,
    SetPin,
    StartRecording,
    StopPlayback,
    StopRecording,
    Tick,
    VerifyPin,
)
from tas.voicemail.menu_prompts import Prompt as P
from tas.voicemail.menu_state import TRANSITIONS, MenuState, MenuStateError, Trigger, next_state

BOX = "+4712345678"
WALL = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
NEW = MenuMessage("a" * 32, "+4798765432", datetime(2026, 12, 5, 14, 5, tzinfo=UTC),
                  Path("/vm/a.wav"), saved=False)  # fmt: skip
OLD = MenuMessage("b" * 32, "+4711112222", datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
                  Path("/vm/b.wav"), saved=True)  # fmt: skip
HIDDEN = MenuMessage("c" * 32, "", datetime(2026, 12, 5, 10, 30, tzinfo=UTC),
                     Path("/vm/c.wav"), saved=False)  # fmt: skip


class Session:
    """Drives a menu like the call app would, on a virtual clock."""

    def __init__(self, menu: MailboxMenu) -> None:
        self.menu = menu
        self.now = 0.0
        self.actions: list[Action] = []

    def start(self) -> list[Action]:
        return self._keep(self.menu.start(self.now, WALL))

    def feed(self, event: object) -> list[Action]:
        return self._keep(self.menu.handle(event, self.now))  # type: ignore[arg-type]

    def keys(self, keys: str) -> list[Action]:
        out: list[Action] = []
        for key in keys:
            out += self.feed(DtmfDigit(key))
        return out

    def finish(self) -> list[Action]:
        """The last Play ends."""
        play = [a for a in self.actions if isinstance(a, Play)][-1]
        return self.feed(PromptFinished(play.play_id))

    def wait(self, seconds: float) -> list[Action]:
        self.now += seconds
        return self.feed(Tick())

    def last_play(self) -> Play:
        return [a for a in self.actions if isinstance(a, Play)][-1]

    def _keep(self, actions: list[Action]) -> list[Action]:
        self.actions += actions
        return actions


def plays(actions: list[Action]) -> list[tuple[object, ...]]:
    return [a.items for a in actions if isinstance(a, Play)]


def test_full_session_login_count_play_save_delete_record_busy_greeting() -> None:
    s = Session(MailboxMenu(BOX, [OLD, NEW], trusted=False))
    assert plays(s.start()) == [(P.ENTER_PIN,)]
    s.finish()
    assert s.keys("4321#") == [VerifyPin("4321")]
    assert s.menu.state is MenuState.VERIFYING
    out = s.feed(PinVerified(PinCheck.OK))
    assert out[0] == Log(LogKind.LOGIN, BOX)
    first = plays(out)[0]
    # "You have one new and one saved message", then the new one first
    assert first[:8] == (P.YOU_HAVE, P.N1, P.NEW, P.AND, P.N1, P.SAVED, P.MESSAGE,
                         P.MESSAGE_FROM)  # fmt: skip
    assert first[8:16] == (P.N4, P.N7, P.N9, P.N8, P.N7, P.N6, P.N5, P.N4)
    assert first[-3:] == (P.PM, NEW.path, P.MESSAGE_MENU)
    assert (P.TODAY, P.AT, P.N2, P.OH, P.N5, P.PM) == first[-8:-2]
    # 2 saves while it still plays (barge-in), then the saved one plays
    out = s.keys("2")
    assert out[:3] == [StopPlayback(), MarkSaved(NEW.voicemail_id), Log(LogKind.SAVED, BOX)]
    second = plays(out)[0]
    assert second[:2] == (P.SAVED_OK, P.MESSAGE_FROM) and OLD.path in second
    assert (P.YESTERDAY, P.AT, P.N9, P.OCLOCK, P.AM) == second[-7:-2]
    s.finish()
    # 1 repeats it, 7 deletes it: no more messages, main menu
    assert plays(s.keys("1"))[0][-2:] == (OLD.path, P.MESSAGE_MENU)
    out = s.keys("7")
    assert DeleteMessage(OLD.voicemail_id) in out
    assert plays(out) == [(P.DELETED_OK, P.NO_MORE_MESSAGES, P.MAIN_MENU)]
    assert s.menu.state is MenuState.MAIN
    s.finish()
    # 0 options, 1 busy greeting: prompt + beep, then the recording starts
    s.keys("0")
    assert plays(s.keys("1")) == [(P.RECORD_GREETING, Beep())]
    assert s.menu.state is MenuState.RECORDING
    assert s.finish() == [StartRecording(GreetingKind.BUSY, 60.0)]
    s.now += 4
    assert s.keys("5") == []  # a key while recording is part of it
    assert s.keys("#") == [StopRecording()]
    first_take = Path("/tmp/take1.wav")
    assert plays(s.feed(RecordingFinished(first_take, 4.0))) == [(P.REVIEW_MENU,)]
    s.finish()
    assert plays(s.keys("1")) == [(first_take, P.REVIEW_MENU)]  # listen
    s.finish()
    out = s.keys("2")  # record again: the first take is dropped
    assert out[0] == DiscardRecording(first_take) and plays(out) == [(P.RECORD_GREETING, Beep())]
    s.finish()
    s.now += 3
    second_take = Path("/tmp/take2.wav")
    s.keys("#")
    s.feed(RecordingFinished(second_take, 3.0))
    s.finish()
    out = s.keys("3")  # save
    assert out[0] == SetGreeting(GreetingKind.BUSY, second_take)
    assert plays(out) == [(P.GREETING_SAVED, P.OPTIONS_MENU)]
    assert s.menu.hung_up() == []  # nothing left to discard: the take was handed over
    assert s.menu.state is MenuState.ENDED


def test_three_wrong_pins_end_the_call_when_the_store_locks() -> None:
    s = Session(MailboxMenu(BOX, [NEW], trusted=False))
    s.start()
    for _ in range(2):
        s.finish()
        assert s.keys("1111#") == [VerifyPin("1111")]
        out = s.feed(PinVerified(PinCheck.WRONG))
        assert out[0] == Log(LogKind.WRONG_PIN, BOX)
        assert plays(out) == [(P.WRONG_PIN, P.ENTER_PIN)]
    s.finish()
    s.keys("1111#")
    out = s.feed(PinVerified(PinCheck.LOCKED))
    assert out[0] == Log(LogKind.LOCKED, BOX) and plays(out) == [(P.LOCKED,)]
    assert s.keys("1234#") == []  # no more tries while the goodbye plays
    assert s.finish() == [Hangup()]
    assert s.menu.state is MenuState.ENDED
    assert not any(isinstance(a, Play) and NEW.path in a.items for a in s.actions)
    assert not any("1111" in repr(a) for a in s.actions if isinstance(a, Log))


def test_mailbox_without_pin_refuses_untrusted_callers() -> None:
    s = Session(MailboxMenu(BOX, [NEW], trusted=False))
    s.start()
    s.keys("1234#")
    assert plays(s.feed(PinVerified(PinCheck.NOT_SET))) == [(P.NO_PIN,)]
    assert s.finish() == [Hangup()]


def test_trusted_caller_skips_the_pin_and_hears_a_hidden_caller_as_hidden() -> None:
    s = Session(MailboxMenu(BOX, [HIDDEN], trusted=True))
    out = s.start()
    assert out[0] == Log(LogKind.TRUSTED_LOGIN, BOX)
    assert not any(isinstance(a, VerifyPin) for a in out)
    items = plays(out)[0]
    assert items[:9] == (P.YOU_HAVE, P.N1, P.NEW, P.AND, P.NO, P.SAVED, P.MESSAGE,
                         P.MESSAGE_FROM, P.HIDDEN_NUMBER)  # fmt: skip
    assert P.N0 not in items[:12]
    s.finish()
    out = s.keys("3")  # no number to call back
    assert not any(isinstance(a, CallBack) for a in out)
    assert plays(out) == [(P.NUMBER_NOT_AVAILABLE, P.MESSAGE_MENU)]
    assert s.menu.state is MenuState.MESSAGES


def test_call_back_to_a_number_that_is_not_e164_is_refused() -> None:
    odd = MenuMessage("d" * 32, "12345", datetime(2026, 12, 5, 11, 0, tzinfo=UTC),
                      Path("/vm/d.wav"), saved=False)  # fmt: skip
    s = Session(MailboxMenu(BOX, [odd], trusted=True))
    s.start()
    out = s.keys("3")
    assert not any(isinstance(a, CallBack) for a in out)
    assert plays(out) == [(P.CANNOT_CALL_BACK, P.MESSAGE_MENU)]
    assert s.menu.state is MenuState.MESSAGES


def test_call_back_connected_ends_the_menu() -> None:
    s = Session(MailboxMenu(BOX, [NEW], trusted=True))
    s.start()
    out = s.keys("3")
    assert out[:2] == [StopPlayback(), Log(LogKind.CALL_BACK, BOX, NEW.caller_number)]
    assert plays(out) == [(P.CALLING_BACK,)]
    assert out[-1] == CallBack(NEW.caller_number)
    assert s.menu.state is MenuState.CALLING and s.menu.deadline is None
    assert s.finish() == [] and s.wait(600.0) == []  # nothing is timed while calling
    assert s.keys("5#") == []  # keys while calling are the bridged call's
    assert s.feed(CallBackEnded(connected=True)) == [Hangup()]
    assert s.menu.state is MenuState.ENDED


def test_failed_call_back_returns_to_the_message_menu() -> None:
    s = Session(MailboxMenu(BOX, [NEW, OLD], trusted=True))
    s.start()
    s.keys("3")
    out = s.feed(CallBackEnded(connected=False))
    assert plays(out) == [(P.CALL_BACK_FAILED, P.MESSAGE_MENU)]
    assert s.menu.state is MenuState.MESSAGES
    s.finish()
    assert s.menu.deadline is not None  # the menu waits for a key again
    assert isinstance(s.keys("2")[0], MarkSaved)  # still on the same message
    assert s.feed(CallBackEnded(connected=True)) == []  # late or stray: ignored


def test_hang_up_while_calling_back() -> None:
    s = Session(MailboxMenu(BOX, [NEW], trusted=True))
    s.start()
    s.keys("3")
    assert s.menu.hung_up() == []
    assert s.menu.state is MenuState.ENDED
    assert s.feed(CallBackEnded(connected=False)) == []


def test_no_input_replays_the_menu_then_says_goodbye() -> None:
    timers = MenuTimers(input_timeout=5.0, replays=2)
    s = Session(MailboxMenu(BOX, [], trusted=True, timers=timers))
    assert plays(s.start())[0][-2:] == (P.NO_MORE_MESSAGES, P.MAIN_MENU)
    assert s.menu.deadline is None  # nothing is timed while a prompt plays
    s.finish()
    assert s.menu.deadline == 5.0
    assert s.wait(4.9) == []
    assert plays(s.wait(0.1)) == [(P.MAIN_MENU,)]  # replay 1
    s.finish()
    assert plays(s.wait(5.0)) == [(P.MAIN_MENU,)]  # replay 2
    s.finish()
    out = s.wait(5.0)
    assert out[0] == Log(LogKind.NO_INPUT, BOX) and plays(out) == [(P.GOODBYE,)]
    assert s.finish() == [Hangup()]


def test_a_key_resets_the_replays() -> None:
    s = Session(MailboxMenu(BOX, [], trusted=True, timers=MenuTimers(replays=1)))
    s.start()
    s.finish()
    s.wait(8.0)  # replay 1
    s.finish()
    assert plays(s.keys("5")) == [(P.INVALID_OPTION, P.MAIN_MENU)]  # not an option
    s.finish()
    assert plays(s.wait(8.0)) == [(P.MAIN_MENU,)]  # a replay again, not goodbye


def test_inter_digit_timeout_submits_the_pin() -> None:
    s = Session(MailboxMenu(BOX, [], trusted=False, timers=MenuTimers(digit_timeout=3.0)))
    s.start()
    assert s.keys("98") == [StopPlayback()]  # barge-in on "enter your PIN"
    s.now += 2.0
    s.keys("76")
    assert s.menu.deadline == 5.0
    assert s.wait(2.9) == []
    assert s.wait(0.1) == [VerifyPin("9876")]


def test_star_clears_a_pin_being_typed() -> None:
    s = Session(MailboxMenu(BOX, [], trusted=False))
    s.start()
    s.finish()
    s.keys("12*")
    assert s.keys("5678#")[-1] == VerifyPin("5678")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("123", None, [(P.PIN_INVALID, P.NEW_PIN)]),  # too short
        ("123456789", None, [(P.PIN_INVALID, P.NEW_PIN)]),  # too long
        ("2468", "2469", [(P.PIN_MISMATCH, P.NEW_PIN)]),  # entered twice differently
    ],
)
def test_pin_change_is_validated(first: str, second: str | None, expected: list[object]) -> None:
    s = Session(MailboxMenu(BOX, [], trusted=True))
    s.start()
    s.keys("0")
    assert plays(s.keys("5")) == [(P.NEW_PIN,)]
    out = s.keys(first + "#")
    if second is not None:
        assert plays(out) == [(P.PIN_AGAIN,)]
        out = s.keys(second + "#")
    assert plays(out) == expected
    assert not any(isinstance(a, SetPin) for a in s.actions)
    assert s.menu.state is MenuState.NEW_PIN


def test_pin_change_entered_twice_is_set() -> None:
    s = Session(MailboxMenu(BOX, [], trusted=True))
    s.start()
    s.keys("05")
    s.keys("24680#")
    out = s.keys("24680#")  # while "enter it again" still plays
    assert out[:3] == [StopPlayback(), SetPin("24680"), Log(LogKind.PIN_CHANGED, BOX)]
    assert s.menu.state is MenuState.OPTIONS
    s.keys("*")  # back to the main menu
    assert s.menu.state is MenuState.MAIN


def test_too_short_recording_is_discarded_and_asked_again() -> None:
    s = Session(MailboxMenu(BOX, [], trusted=True))
    s.start()
    s.keys("04")
    assert plays(s.actions)[-1] == (P.RECORD_NAME, Beep())
    s.finish()
    s.keys("#")
    out = s.feed(RecordingFinished(Path("/tmp/n.wav"), 0.4))
    assert out[0] == DiscardRecording(Path("/tmp/n.wav"))
    assert plays(out) == [(P.TOO_SHORT, P.RECORD_NAME, Beep())]
    assert s.menu.state is MenuState.RECORDING


def test_recording_is_stopped_at_its_maximum() -> None:
    s = Session(MailboxMenu(BOX, [], trusted=True, timers=MenuTimers(max_recording=30.0)))
    s.start()
    s.keys("03")
    assert s.finish() == [StartRecording(GreetingKind.DEFAULT, 30.0)]
    assert s.wait(30.0) == [StopRecording()]
    assert s.menu.state is MenuState.STOPPING


def test_hang_up_during_review_discards_the_take() -> None:
    s = Session(MailboxMenu(BOX, [], trusted=True))
    s.start()
    s.keys("02")
    s.finish()
    s.feed(RecordingFinished(Path("/tmp/u.wav"), 2.0))
    assert s.menu.hung_up() == [DiscardRecording(Path("/tmp/u.wav"))]
    assert s.feed(DtmfDigit("1")) == []


def test_stale_prompt_finished_is_ignored() -> None:
    s = Session(MailboxMenu(BOX, [NEW], trusted=True))
    first = plays(s.start())
    old_id = s.last_play().play_id
    s.keys("#")  # skip to the message's menu: a new play
    assert first and s.feed(PromptFinished(old_id)) == []
    assert s.menu.deadline is None


def test_every_state_change_is_in_the_table() -> None:
    assert next_state(MenuState.MAIN, Trigger.LISTEN) is MenuState.MESSAGES
    assert next_state(MenuState.MESSAGES, Trigger.SAVE) is MenuState.MESSAGES
    with pytest.raises(MenuStateError, match="'listen' in menu state 'pin'"):
        next_state(MenuState.PIN, Trigger.LISTEN)
    assert TRANSITIONS[MenuState.ENDED] == {}
    assert all(Trigger.HUNG_UP in t for s, t in TRANSITIONS.items() if s is not MenuState.ENDED)


def test_bad_dtmf_key_is_refused() -> None:
    with pytest.raises(ValueError, match="not a DTMF key"):
        DtmfDigit("A")


def test_listening_again_plays_saved_messages_after_new_ones() -> None:
    older_new = MenuMessage("d" * 32, "+4790000000", datetime(2026, 12, 1, tzinfo=UTC),
                            Path("/vm/d.wav"), saved=False)  # fmt: skip
    s = Session(MailboxMenu(BOX, [NEW, OLD, older_new], trusted=True))
    out = s.start()
    assert plays(out)[0][:7] == (P.YOU_HAVE, P.N2, P.NEW, P.AND, P.N1, P.SAVED, P.MESSAGE)
    assert older_new.path in plays(out)[0]  # the oldest new message first
    assert NEW.path in plays(s.keys("2"))[0]  # d saved: the next new one
    assert OLD.path in plays(s.keys("9"))[0]  # then the saved one
    s.keys("9")
    assert s.menu.state is MenuState.MAIN
    # again: the one still new first, then the saved ones oldest first (d was saved in this call)
    order = [plays(s.keys("1"))[0][-2], plays(s.keys("9"))[0][-2], plays(s.keys("9"))[0][-2]]
    assert order == [NEW.path, older_new.path, OLD.path]
