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


async def test_demo_hint_names_the_voicemail_api_address(tmp_path: Path) -> None:
    """Issue 16: the hint printed while `make run` keeps serving gives the voicemail API's
    address and token (a grpcurl line) beside the call-again line and the console."""
    from tas.demo import hint
    from tas.server import TasServer

    server = TasServer(ephemeral(Settings(data_dir=tmp_path)))
    await server.start()
    try:
        assert server.voicemail_api is not None and server.metrics is not None
        lines = hint(server)
        console = f"http://{server.metrics.address}/console"
        address = f"127.0.0.1:{server.voicemail_api.port}"
    finally:
        await server.stop(grace=1.0)
    token = server.settings.voicemail.api_tokens[0]
    (api,) = [line for line in lines if line.startswith("Voicemail API")]
    assert address in api and f"Bearer {token}'" in api and api.endswith(f"{address} list")
    assert any(line.startswith("Call again") for line in lines)
    assert console in lines[-1]
