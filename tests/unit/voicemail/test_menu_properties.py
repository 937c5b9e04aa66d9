"""Any sequence of inputs keeps the mailbox menu inside its table (tas.voicemail.menu): no
MenuStateError, nothing after the end, a PIN only ever leaves in VerifyPin or SetPin, and a
recording is either handed over, discarded or still held (hypothesis, virtual clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tas.voicemail.menu import MailboxMenu
from tas.voicemail.menu_io import (
    DiscardRecording,
    DtmfDigit,
    GreetingKind,
    Input,
    Log,
    MenuMessage,
    PinCheck,
    PinVerified,
    Play,
    PromptFinished,
    RecordingFinished,
    SetGreeting,
    Tick,
)
from tas.voicemail.menu_state import MenuState

MESSAGES = [
    MenuMessage("a" * 32, "+4790000001", datetime(2026, 12, 1, tzinfo=UTC), Path("/a"), False),
    MenuMessage("b" * 32, "", datetime(2026, 12, 2, tzinfo=UTC), Path("/b"), True),
]

steps = st.lists(
    st.one_of(
        st.sampled_from("0123456789*#").map(lambda d: ("key", d)),
        st.just(("finish", None)),
        st.floats(min_value=0.0, max_value=70.0).map(lambda s: ("wait", s)),
        st.sampled_from(list(PinCheck)).map(lambda r: ("pin", r)),
        st.floats(min_value=0.0, max_value=5.0).map(lambda s: ("recorded", s)),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(trusted=st.booleans(), script=steps)
def test_any_input_sequence_stays_in_the_table(
    trusted: bool, script: list[tuple[str, object]]
) -> None:
    menu = MailboxMenu("+4712345678", MESSAGES, trusted=trusted)
    now = 0.0
    actions = menu.start(now, datetime(2026, 12, 5, tzinfo=UTC))
    last_play = 0
    takes = 0
    for kind, value in script:
        event: Input
        if kind == "key":
            event = DtmfDigit(str(value))
        elif kind == "finish":
            event = PromptFinished(last_play)
        elif kind == "wait":
            now += float(value)  # type: ignore[arg-type]
            event = Tick()
        elif kind == "pin":
            event = PinVerified(value)  # type: ignore[arg-type]
        else:
            takes += 1
            event = RecordingFinished(Path(f"/tmp/take{takes}"), float(value))  # type: ignore[arg-type]
        was_ended = menu.state is MenuState.ENDED
        out = menu.handle(event, now)
        if was_ended:
            assert out in ([], [DiscardRecording(Path(f"/tmp/take{takes}"))])
        actions += out
        plays = [a.play_id for a in out if isinstance(a, Play)]
        last_play = plays[-1] if plays else last_play
        if menu.deadline is not None:
            assert menu.deadline >= now
    actions += menu.hung_up()
    assert menu.state is MenuState.ENDED
    # every finished recording is handed over or discarded exactly once
    fates = [a.path for a in actions if isinstance(a, SetGreeting | DiscardRecording)]
    assert len(fates) == len(set(fates))
    recorded = {Path(f"/tmp/take{i}") for i in range(1, takes + 1)}
    assert set(fates) == recorded
    details = {a.detail for a in actions if isinstance(a, Log)}
    assert details <= {"", "+4790000001", *GreetingKind}  # never a typed PIN
