"""The web console end to end in Debian's headless Chromium (Playwright, no browser
download): a call placed by the `tas call` harness appears live and goes without reload, its
timeline shows the ladder of the SIP messages as sent and received, a voicemail plays in the
page's <audio> element, a number's rules are edited (a bad field shown by its rule, reorder,
delete, saved through the API), and a greeting uploaded in the page is what the next caller
hears (the harness detects its 440 Hz tone). Screenshots: build/artefacts/console/."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from media.tones import speech_like, tone
from tas.server import TasServer
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.admin.conftest import ADMIN, OTHER, OWN, auth

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(__file__).resolve().parents[3] / "build" / "artefacts" / "console"


async def harness(tmp_path: Path, *args: str) -> asyncio.subprocess.Process:
    env = dict(os.environ, TAS_DATA_DIR=str(tmp_path / "cli"))
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tas", "call", *args, "--json", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def prepare(tmp_path: Path) -> Path:
    """The artefact folder and the greeting file (a 440 Hz tone) to upload."""
    assert Path(CHROMIUM).exists()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    greeting = tmp_path / "greeting.wav"
    greeting.write_bytes(pcm16_wav(tone([440.0], 3.0)))
    return greeting


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium under Playwright (no browser download), autoplay allowed."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(page: Any) -> None:
    """The admin token into the page's token box (kept in the tab's sessionStorage)."""
    await page.fill("#token", ADMIN)
    await page.dispatch_event("#token", "change")


async def registered(server: TasServer, number: str, ttl: float) -> None:
    """A registration accepted by the operator, expiring in ``ttl`` s, in the store."""
    from registrations.model import Registration, Route
    from registrations.schedule import Entry
    from registrations.store import RegistrationStore

    wanted = Registration(number, Route.FALLBACK, "sips:127.0.0.1:5061")
    now = time.time()
    entry = Entry(number, wanted, wanted, registered_at=now, expires_at=now + ttl)
    await RegistrationStore(server.db).save(entry)


def assert_call_ladder(arrows: list[list[str]]) -> None:
    """The arrows of a call the harness placed and hung up: INVITE, 100 (when the answer took
    over 200 ms, RFC 3261 §17.2.1), 180 (maybe), 200, ACK, BYE, 200 between its address and
    the TAS, in this order and direction. A retransmission, under load, repeats an arrow: each
    (label, CSeq) counts once."""
    peer = arrows[0][0]
    seen: list[tuple[str, str]] = []
    for source, target, label, cseq in arrows:
        assert {source, target} == {peer, "TAS"}, arrows
        assert (source == peer) == (label in ("INVITE", "ACK", "BYE")), arrows
        if (label, cseq.split()[-1]) not in seen:
            seen.append((label, cseq.split()[-1]))
    text = " ".join(f"{label}/{method}" for label, method in seen)
    assert re.fullmatch(
        r"INVITE/INVITE (100/INVITE )?(18[03]/INVITE )?200/INVITE ACK/ACK BYE/BYE 200/BYE", text
    ), arrows


async def edit_rules(page: Any, url: str) -> None:
    """The rules page: add two rules, a bad time zone shown by its rule, fixed, reordered,
    saved through the API; then one deleted and saved again."""
    await page.goto(f"{url}/console/rules?number=%2B{OTHER[1:]}")
    await page.wait_for_function("document.getElementById('status').textContent === ''")
    items = page.locator("#rules li")
    night = {"name": "night", "action": "reject", "status": 480, "time_zone": "Mars/Olympus",
             "from": "22:00", "until": "07:00"}  # fmt: skip
    for table in ({"name": "quiet", "action": "dnd"}, night):
        await page.click("#rules-add")
        await items.last.locator("textarea").fill(json.dumps(table))
    await page.click("#rules-save")
    error = items.nth(1).locator(".error")
    await page.wait_for_function(
        "document.querySelectorAll('#rules .error')[1].textContent !== ''", timeout=10000
    )
    assert "rules[1].time_zone" in await error.inner_text()
    assert "Mars/Olympus" in await error.inner_text()
    await page.screenshot(path=str(ARTEFACTS / "8-rules-error-inline.png"))
    await items.nth(1).locator("textarea").fill(json.dumps(night | {"time_zone": "Europe/Oslo"}))
    await items.nth(1).locator("button.up").click()
    await page.click("#rules-save")
    await page.wait_for_function("document.getElementById('rules-result').textContent === 'saved'")
    await page.screenshot(path=str(ARTEFACTS / "9-rules-saved.png"))
    async with httpx.AsyncClient(base_url=url, headers=auth(ADMIN), timeout=10) as client:
        stored = (await client.get(f"/api/rules/{OTHER}")).json()
        assert [(r["name"], r.get("time_zone")) for r in stored] == [
            ("night", "Europe/Oslo"), ("quiet", None)]  # fmt: skip
        await items.nth(1).locator("button.delete").click()
        await page.click("#rules-save")
        await page.wait_for_function(
            "document.getElementById('rules-result').textContent === 'saved' && "
            "document.querySelectorAll('#rules li').length === 1"
        )
        assert [r["name"] for r in (await client.get(f"/api/rules/{OTHER}")).json()] == ["night"]


async def test_console_in_chromium(server: TasServer, tmp_path: Path) -> None:
    assert server.metrics is not None
    greeting = prepare(tmp_path)
    url = server.metrics.url
    host, port = server.stack.local["UDP"]
    message = await server.voicemail.deposit(OWN, "+4712345678", pcm16_wav(speech_like(3.0)))

    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(f"{url}/console")
        await sign_in(page)

        # a call appears live, then goes, without a reload
        call = await harness(tmp_path, f"sip:console@{host}:{port}", "--duration", "3s")
        live_row = page.locator("#live tbody tr")
        await live_row.first.wait_for(timeout=15000)
        call_id = await live_row.first.get_attribute("data-id")
        assert call_id
        await page.screenshot(path=str(ARTEFACTS / "1-live-call.png"))
        out, err = await asyncio.wait_for(call.communicate(), 30)
        assert call.returncode == 0, err.decode()
        await page.wait_for_function(
            "document.querySelectorAll('#live tbody tr').length === 0", timeout=15000
        )
        await page.locator(f'#recent tbody tr[data-id="{call_id}"]').wait_for(timeout=15000)
        await page.screenshot(path=str(ARTEFACTS / "2-call-ended.png"))

        # its timeline: the ladder of the SIP messages as sent and received, and milestones
        await page.locator(f'#recent tbody tr[data-id="{call_id}"] a').click()
        await page.locator("#ladder tbody tr.entry").nth(2).wait_for(timeout=15000)
        ladder = await page.locator("#ladder").inner_text()
        assert "invite" in ladder and "bye" in ladder, ladder
        await page.locator("#wire g.msg").nth(4).wait_for(timeout=15000)
        arrows = await page.eval_on_selector_all(
            "#wire g.msg",
            "gs => gs.map(g => [g.dataset.from, g.dataset.to, g.dataset.label, g.dataset.cseq])",
        )
        await page.screenshot(path=str(ARTEFACTS / "3-timeline-ladder.png"), full_page=True)
        assert_call_ladder(arrows)

        # a voicemail plays in the page
        await page.goto(f"{url}/console/voicemail")
        audio = f"#audio-{message.voicemail_id}"
        await page.wait_for_function(
            f"document.querySelector('{audio}') && document.querySelector('{audio}').src",
            timeout=15000,
        )
        await page.eval_on_selector(audio, "a => a.play()")
        await page.wait_for_function(
            f"document.querySelector('{audio}').readyState >= 2 && "
            f"document.querySelector('{audio}').currentTime > 0.2",
            timeout=15000,
        )
        assert await page.eval_on_selector(audio, "a => a.duration") == pytest.approx(3.0, 0.05)
        await page.screenshot(path=str(ARTEFACTS / "4-voicemail-playing.png"))

        # upload a greeting in the page
        await page.fill("#greeting input[name=number]", OWN)
        await page.select_option("#greeting select[name=kind]", "default")
        await page.set_input_files("#greeting input[name=file]", str(greeting))
        await page.click("#greeting button")
        await page.wait_for_function(
            "document.getElementById('greeting-result').textContent === 'greeting set'",
            timeout=15000,
        )
        await page.screenshot(path=str(ARTEFACTS / "5-greeting-uploaded.png"))

        await edit_rules(page, url)

        # registrations with their TTL counting down in the page
        await registered(server, OTHER, ttl=600.0)
        await page.goto(f"{url}/console/registrations")
        ttl = page.locator("#registrations td.ttl").first
        await page.wait_for_function(
            "(document.querySelector('#registrations td.ttl') || {}).textContent?.endsWith(' s')",
            timeout=15000,
        )
        first = int((await ttl.inner_text()).split()[0])
        await page.wait_for_function(
            f"parseInt(document.querySelector('#registrations td.ttl').textContent) < {first}",
            timeout=5000,
        )
        assert 590 <= first <= 600
        await page.screenshot(path=str(ARTEFACTS / "6-registrations-ttl.png"))

    # the next caller hears it: OWN's calls go to voicemail, the harness listens for 440 Hz
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        r = await client.put(
            f"/api/policies/{OWN}", json={"action": "voicemail"}, headers=auth(ADMIN)
        )
        assert r.status_code == 200
    await asyncio.sleep(0.5)  # the call directory picks the policy up from the change feed
    call = await harness(
        tmp_path, f"sip:{OWN}@{host}:{port}", "--duration", "5s", "--expect", "tone=440"
    )
    out, err = await asyncio.wait_for(call.communicate(), 40)
    assert call.returncode == 0, (out.decode()[-2000:], err.decode())
    assert any(
        t["frequency"] == pytest.approx(440, rel=0.03) for t in json.loads(out)["result"]["tones"]
    )


async def test_console_ladder_shows_the_core_events_beside_ours(tmp_path: Path) -> None:
    """The `make run` story's call (FALLBACK, busy handset, voicemail through the sandbox
    core): its page, found by the voicemail id, shows the core's events in the core column
    beside our milestones."""
    from registrations.model import Route
    from tas.demo import greeting_seconds, place_call, register
    from tests.integration.admin.conftest import admin_settings

    settings = admin_settings(tmp_path / "data")
    settings.events.enabled = True  # the consumer reads the embedded sandbox's stream
    server = TasServer(settings)
    await server.start()
    try:
        assert server.core is not None and server.metrics is not None
        await register(server, OWN, Route.FALLBACK)
        server.core.handsets.set(OWN, "busy")
        result = await place_call(
            server.engine, server.core.address("UDP"), "+4712345678", OWN,
            speak_after=greeting_seconds() + 0.5, message=speech_like(2.0),
        )  # fmt: skip
        assert result.status == 200
        await asyncio.wait_for(server.app.idle.wait(), 15)
        (message,) = await server.voicemail.list_messages(OWN)
        prepare(tmp_path)
        async with chromium() as browser:
            page = await browser.new_page()
            await page.goto(f"{server.metrics.url}/console/calls/{message.voicemail_id}")
            await sign_in(page)
            core_rows = page.locator("#ladder tbody tr.entry.core")
            for _ in range(50):  # the consumer stores the core's events (bounded)
                if await core_rows.count() >= 2:
                    break
                await asyncio.sleep(0.2)
                await page.reload()
                await sign_in(page)
                await page.locator("#ladder tbody tr.entry").first.wait_for(timeout=10000)
            ladder = await page.locator("#ladder").inner_text()
            assert await core_rows.count() >= 2, ladder
            assert await page.locator("#ladder tbody tr.entry.tas").count() >= 3, ladder
            assert "NEW_VOICEMAIL" in ladder and "recording" in ladder.lower(), ladder
            labels = await page.eval_on_selector_all(
                "#wire g.msg", "gs => gs.map(g => g.dataset.to + ' ' + g.dataset.label)"
            )
            assert labels[0] == "TAS INVITE" and "TAS BYE" in labels, labels  # from the core
            await page.screenshot(path=str(ARTEFACTS / "7-ladder-core-and-tas.png"))
    finally:
        await server.stop(grace=1.0)
