"""`make run`'s story (`tas demo`): a busy subscriber's call ends as a stored voicemail whose
timeline joins the TAS's milestones with the sandbox core's events."""

from pathlib import Path

import pytest

from tas.config import Settings
from tas.demo import ephemeral, run_demo


@pytest.mark.slow
async def test_demo_story_ends_with_a_listed_voicemail(tmp_path: Path) -> None:
    settings = ephemeral(Settings(data_dir=tmp_path))
    lines: list[str] = []
    message = await run_demo(settings, out=lines.append, keep_serving=False, message_seconds=2.0)
    text = "\n".join(lines)
    assert message is not None, text
    assert message.mailbox == "+4799990001" and message.caller == "+4799990002"
    assert message.path.is_file() and message.path.is_relative_to(tmp_path)
    assert "outcome=voicemail-left" in text and "matched_by=session-id" in text
    for kind in ("CALL_FWD_VOICEMAIL", "greeting", "beep", "recording-committed", "NEW_VOICEMAIL"):
        assert kind in text, f"{kind} missing from the timeline:\n{text}"
    assert message.voicemail_id in text
