"""The two calls of the matrix, for any :class:`~tests.interop.phones.phone.Phone`.

``phone_calls_tas``: the phone dials the TAS's own listener (UDP, TCP or TLS) for a LOOP
number whose policy answers with an announcement and a DTMF menu ``1 = voicemail``; the phone
hears the announcement (a falling sweep), presses 1 (RFC 4733), hears greeting and beep, plays
a rising sweep into the recording and hangs up (BYE from the phone).

``tas_calls_phone``: ``tas call`` (the harness, a separate process) calls the phone, which
answers automatically; both sides play a sweep and record; the harness sends DTMF 5 after its
first sweep and hangs up (BYE from the TAS side).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path

from media.wav import read_wav
from registrations.model import Route
from tas.calls.policy import Action, Policy
from tests.integration.calls.calls_helpers import (
    SUBSCRIBER,
    register,
    running_server,
    settled,
    short_greetings,
)
from tests.interop.phones.matrix import Row
from tests.interop.phones.phone import Phone
from tests.interop.phones.signals import (
    best_correlation,
    make_signal,
    pcm16_of,
    signal_part,
    slip_tolerant,
)

__all__ = ["THRESHOLD", "PhoneFactory", "check", "phone_calls_tas", "tas_calls_phone"]

PhoneFactory = Callable[[Path], Phone]  # the phone's source WAV -> a phone (not started)

ANNOUNCEMENT = 1.5  # s of falling sweep the TAS answers with
DTMF_AT = 2.2  # s after answer the phone presses 1
LEAD = 4.2  # s of silence before the phone's sweep: menu, digit, greeting, beep come first
SWEEP = 2.5
STARTUP = 0.15  # s of the announcement not scored (see phone_calls_tas)


def scores(heard: bytes, sent: bytes) -> tuple[float, float]:
    """(one-lag correlation, slip-tolerant correlation) of ``sent`` inside ``heard``."""
    return best_correlation(heard, sent), slip_tolerant(heard, sent)


async def phone_calls_tas(make_phone: PhoneFactory, transport: str, tmp: Path) -> Row:
    """The phone calls ``tas serve`` (in process, embedded sandbox: 127.0.0.1 is trusted)."""
    row = Row(make_phone(tmp).name, transport, "phone->tas")
    announcement = make_signal(tmp / "announcement.wav", ANNOUNCEMENT, down=True)
    sent = make_signal(tmp / "phone.wav", SWEEP, lead=LEAD, tail=3.0)
    async for server in running_server(tmp / "data"):
        await register(server, SUBSCRIBER, Route.LOOP)
        short_greetings(server, SUBSCRIBER)
        menu = {"1": Action.VOICEMAIL}
        await server.app.policies.put(
            Policy(SUBSCRIBER, Action.ANSWER, announcement=str(announcement), menu=menu)
        )
        host, port = server.stack.local[transport.upper()]
        phone = make_phone(sent)
        await phone.start()
        try:
            await phone.dial(phone.target_uri(SUBSCRIBER, host, port, transport))
            await phone.wait_established(20)
            await asyncio.sleep(DTMF_AT)
            await phone.send_dtmf("1")
            await asyncio.sleep(LEAD + SWEEP + 0.6 - DTMF_AT)
            await phone.hangup()
            await phone.wait_closed(10)
            row.hangup = "phone"
        finally:
            await phone.stop()
        await settled(server, 15)
        (leg,) = server.app.journals
        row.dtmf = "".join(detail for kind, detail in leg.notes if kind == "dtmf")
        messages = await server.voicemail.list_messages(SUBSCRIBER)
        if messages:
            recorded = read_wav(messages[0].path).pcm16()
            row.tas_heard = scores(recorded, signal_part(sent, LEAD, SWEEP))
        heard = phone.heard()
        if heard is not None:
            # The TAS starts the announcement with its 200 OK, before the ACK: a UAC whose
            # stream starts on the 200 (linphonec) misses the first tens of ms; not scored.
            skip = 2 * round(STARTUP * 8000)
            row.phone_heard = scores(pcm16_of(heard), pcm16_of(announcement)[skip:])
        row.note = ",".join(k for k in leg.kinds if k in ("bye", "recording-discarded"))
    return row


async def tas_calls_phone(make_phone: PhoneFactory, transport: str, tmp: Path) -> Row:
    """``tas call <phone>`` plays a falling sweep, records, sends DTMF 5 and hangs up."""
    ours = make_signal(tmp / "tas.wav", SWEEP, down=True)
    sent = make_signal(tmp / "phone.wav", SWEEP, lead=0.3, tail=6.0)
    phone = make_phone(sent)
    row = Row(phone.name, transport, "tas->phone")
    record = tmp / "tas-heard.wav"
    await phone.start()
    try:
        cmd = [
            "timeout", "-s", "KILL", "40", sys.executable, "-m", "tas", "call",
            phone.contact_uri(transport), "--transport", transport, "--insecure",
            "--play", str(ours), "--record", str(record), "--dtmf", f"5@{SWEEP + 0.8}s",
            "--duration", f"{SWEEP + 2.0}s", "--timeout", "20s",
            "--expect", "answered", "--expect", "rtp", "--json",
        ]  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), 50)
        assert process.returncode == 0, (out.decode()[-3000:], err.decode()[-2000:], phone.log())
        result = json.loads(out)
        await phone.wait_closed(10)  # the harness's BYE
        row.hangup = "tas"
        await asyncio.sleep(0.3)
    finally:
        await phone.stop()
    row.dtmf = phone.dtmf_received()
    row.tas_heard = scores(pcm16_of(record), signal_part(sent, 0.3, SWEEP))
    heard = phone.heard()
    if heard is not None:
        row.phone_heard = scores(pcm16_of(heard), pcm16_of(ours))
    row.note = "" if result.get("passed") else "expectations failed"
    return row


THRESHOLD = 0.95


def check(row: Row, digit: str, *, phone_one_lag: bool = True) -> None:
    """The call's assertions: the digit was seen, and both recordings correlate >= 0.95 with
    what the other side sent (slip-tolerant always; one-lag too unless ``phone_one_lag`` is
    False for a phone whose playout slips, see :mod:`tests.interop.phones.linphone`)."""
    assert row.dtmf == digit, row
    if row.direction == "phone->tas":
        assert "bye" in row.note, row  # the phone's BYE reached the TAS
    assert row.tas_heard is not None and min(row.tas_heard) >= THRESHOLD, row
    assert row.phone_heard is not None and row.phone_heard[1] >= THRESHOLD, row
    if phone_one_lag:
        assert row.phone_heard[0] >= THRESHOLD, row
