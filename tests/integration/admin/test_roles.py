"""Admin vs subscriber tokens against a running server over real HTTP: a subscriber sees and
changes only its own numbers (403 otherwise), an admin everything."""

from __future__ import annotations

import httpx

from media.tones import tone
from tas.server import TasServer
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.admin.conftest import ADMIN, OTHER, OWN, SUBSCRIBER, auth


async def test_subscriber_sees_only_its_own_numbers(server: TasServer) -> None:
    assert server.metrics is not None
    base = server.metrics.url
    wav = pcm16_wav(tone([440.0], 2.0))
    mine = await server.voicemail.deposit(OWN, "+4711111111", wav)
    theirs = await server.voicemail.deposit(OTHER, "+4722222222", wav)
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for number in (OWN, OTHER):
            r = await client.put(
                f"/api/policies/{number}", json={"action": "reject", "status": 603},
                headers=auth(ADMIN),
            )  # fmt: skip
            assert r.status_code == 200, r.text
        admin_view = await client.get("/api/policies", headers=auth(ADMIN))
        assert {p["number"] for p in admin_view.json()} == {OWN, OTHER}
        sub_view = await client.get("/api/policies", headers=auth(SUBSCRIBER))
        assert [p["number"] for p in sub_view.json()] == [OWN]
        r = await client.put(
            f"/api/policies/{OTHER}", json={"action": "voicemail"}, headers=auth(SUBSCRIBER)
        )
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
        r = await client.put(
            f"/api/policies/{OWN}", json={"action": "voicemail"}, headers=auth(SUBSCRIBER)
        )
        assert r.status_code == 200 and r.json()["action"] == "voicemail"
        r = await client.delete(f"/api/policies/{OTHER}", headers=auth(SUBSCRIBER))
        assert r.status_code == 403

        sub_vm = await client.get("/api/voicemail", headers=auth(SUBSCRIBER))
        assert [m["id"] for m in sub_vm.json()] == [mine.voicemail_id]
        admin_vm = await client.get("/api/voicemail", headers=auth(ADMIN))
        assert {m["id"] for m in admin_vm.json()} == {mine.voicemail_id, theirs.voicemail_id}
        audio = await client.get(
            f"/api/voicemail/{mine.voicemail_id}/audio", headers=auth(SUBSCRIBER)
        )
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
        assert audio.content == wav
        other = await client.get(
            f"/api/voicemail/{theirs.voicemail_id}/audio", headers=auth(SUBSCRIBER)
        )
        assert other.status_code == 403
        assert (await client.get("/api/config", headers=auth(SUBSCRIBER))).status_code == 403
        config = await client.get("/api/config", headers=auth(ADMIN))
        assert config.status_code == 200 and ADMIN not in config.text

        # a greeting uploaded as WAV becomes the mailbox's own, served back as 8 kHz WAV
        up = await client.put(
            f"/api/voicemail/greetings/{OWN}/busy", content=wav, headers=auth(SUBSCRIBER)
        )
        assert up.status_code == 200 and up.json() == {"kind": "busy", "custom": True}
        back = await client.get(f"/api/voicemail/greetings/{OWN}/busy", headers=auth(SUBSCRIBER))
        assert back.status_code == 200 and back.content[:4] == b"RIFF"
        assert (await server.voicemail.greeting_catalog.custom_greetings(OWN)).keys() == {"busy"}
        silly = await client.put(
            f"/api/voicemail/greetings/{OWN}/busy", content=b"not audio", headers=auth(ADMIN)
        )
        assert silly.status_code == 400 and silly.json()["title"] == "Bad audio"
        gone = await client.delete(f"/api/voicemail/{theirs.voicemail_id}", headers=auth(ADMIN))
        assert gone.status_code == 200
        missing = await client.get(f"/api/voicemail/{theirs.voicemail_id}", headers=auth(ADMIN))
        assert missing.status_code == 404
