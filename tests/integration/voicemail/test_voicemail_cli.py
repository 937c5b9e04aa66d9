"""``tas voicemail`` through click's CliRunner on a SQLite store in a temporary data dir."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from click.testing import CliRunner

from tas.cli import cli
from tas.config import load_settings
from tas.voicemail import Greetings, Reason, Voicemail, VoicemailStore
from tas.voicemail.export import encoder_available, opus_available
from tas.voicemail.wavfile import pcm16_wav

BOX = "+4712345678"
MISSING = "5bd1b0e4-0a8e-4c39-b3a8-1d7a6b7a5c1e"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TAS_CONFIG", raising=False)  # load_settings sets it; keep tests apart
    monkeypatch.delenv("TAS_DATABASE__URL", raising=False)
    path = tmp_path / "tas.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    return path


def seed(config: Path, *created: datetime) -> list[Voicemail]:
    async def run() -> list[Voicemail]:
        store = VoicemailStore.from_settings(load_settings(config))
        await store.open()
        try:
            return [
                await store.deposit(BOX, "+4799999999", pcm16_wav(bytes(32000)), now=when)
                for when in created
            ]
        finally:
            await store.close()

    return asyncio.run(run())


def tas(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["voicemail", "--config", str(config), *args])


def test_list_table_and_json(config: Path) -> None:
    now = datetime.now(UTC)
    old, new = seed(config, now - timedelta(hours=1), now)
    table = tas(config, "list")
    assert table.exit_code == 0, table.output
    assert new.voicemail_id in table.output and "Voicemail (2)" in table.output
    listed = tas(config, "list", "--mailbox", BOX, "--json")
    assert listed.exit_code == 0
    rows = json.loads(listed.output)
    assert [r["voicemail_id"] for r in rows] == [new.voicemail_id, old.voicemail_id]
    assert rows[0]["from"] == "+4799999999" and rows[0]["duration"] == 2.0
    assert json.loads(tas(config, "list", "--mailbox", "+4787654321", "--json").output) == []


def test_show_mark_played_delete(config: Path) -> None:
    [message] = seed(config, datetime.now(UTC))
    shown = tas(config, "show", message.voicemail_id, "--json")
    assert shown.exit_code == 0 and json.loads(shown.output)["played"] is False
    assert message.voicemail_id in tas(config, "show", message.voicemail_id).output
    assert tas(config, "mark-played", message.voicemail_id).exit_code == 0
    assert json.loads(tas(config, "show", message.voicemail_id, "--json").output)["played"]
    deleted = tas(config, "delete", message.voicemail_id)
    assert deleted.exit_code == 0 and not message.path.exists()
    assert tas(config, "show", message.voicemail_id).exit_code == 1


def test_purge_removes_only_expired(config: Path) -> None:
    now = datetime.now(UTC)
    expired, fresh = seed(config, now - timedelta(days=8), now)
    result = tas(config, "purge")
    assert result.exit_code == 0 and "purged 1 expired" in result.output
    ids = [r["voicemail_id"] for r in json.loads(tas(config, "list", "--json").output)]
    assert ids == [fresh.voicemail_id]


def test_export_wav(config: Path, tmp_path: Path) -> None:
    [message] = seed(config, datetime.now(UTC))
    out = tmp_path / "out" / "m.wav"
    result = tas(config, "export", message.voicemail_id, "--out", str(out))
    assert result.exit_code == 0 and result.output.strip() == str(out)
    with wave.open(str(out)) as wav:
        assert (wav.getframerate(), wav.getnframes()) == (8000, 16000)


@pytest.mark.skipif(not opus_available(), reason="PyAV with libopus not installed")
def test_export_ogg_opus(config: Path, tmp_path: Path) -> None:
    [message] = seed(config, datetime.now(UTC))
    out = tmp_path / "m.ogg"
    result = tas(config, "export", message.voicemail_id, "--out", str(out))
    assert result.exit_code == 0, result.output
    with av.open(str(out)) as container:
        assert container.streams.audio[0].codec_context.name == "opus"
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert samples / 48000 == pytest.approx(2.0, abs=0.05)


@pytest.mark.skipif(not encoder_available("mp3"), reason="PyAV without libmp3lame")
def test_export_mp3(config: Path, tmp_path: Path) -> None:
    import av

    [message] = seed(config, datetime.now(UTC))
    out = tmp_path / "m.mp3"
    result = tas(config, "export", message.voicemail_id, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] != b"RIFF"  # not a WAV under an .mp3 name
    with av.open(str(out)) as container:
        assert container.format.name == "mp3"
        audio = container.streams.audio[0]
        assert audio.codec_context.name in ("mp3", "mp3float")
        rate = audio.codec_context.sample_rate
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert samples / rate == pytest.approx(2.0, abs=0.15)  # encoder delay and padding


def test_reset_greeting(config: Path, tmp_path: Path) -> None:
    greetings = Greetings(tmp_path / "data" / "voicemail" / "greetings")
    greetings.set_greeting(BOX, Reason.BUSY, pcm16_wav(bytes(1600)))
    result = tas(config, "reset-greeting", BOX)
    assert result.exit_code == 0 and "1 custom greeting" in result.output
    assert greetings.custom_greetings(BOX) == {}


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("show", MISSING), 1, f"error: voicemail {MISSING} not found"),
        (("delete", MISSING), 1, "not found"),
        (("mark-played", MISSING), 1, "not found"),
        (("export", MISSING), 1, "not found"),
        (("show", "12"), 2, "error: '12' is not a voicemail id (a UUID)"),
        (("list", "--mailbox", "12345"), 2, "is not an E.164 number"),
        (("export", MISSING, "--format", "flac"), 2, "Invalid value"),
        (("export", MISSING, "--out", "m.wav", "--format", "mp3"), 2, "does not match m.wav"),
        (("export", MISSING, "--out", "m.aac"), 2, "cannot tell the format of m.aac"),
        (("reset-greeting", "abc"), 2, "is not an E.164 number"),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    config: Path, args: tuple[str, ...], code: int, text: str
) -> None:
    result = tas(config, *args)
    assert result.exit_code == code
    assert text in result.output
    if code == 1 or args[0] == "show":
        assert len(result.output.strip().splitlines()) == 1


def test_missing_config_file_is_bad_input(tmp_path: Path) -> None:
    result = tas(tmp_path / "absent.toml", "list")
    assert result.exit_code == 2 and "config file not found" in result.output


def test_hash_token_gives_what_api_tokens_accepts(config: Path) -> None:
    from tas.config import ApiToken
    from tas.voicemail.tokens import Principal, authenticate, parse_tokens

    runner = CliRunner()
    hashed = runner.invoke(cli, ["voicemail", "hash-token"], input="s3cret\n")
    assert hashed.exit_code == 0, hashed.output
    digest = hashed.output.split()[-1]
    [principal] = parse_tokens([ApiToken(token_sha256=digest, mailboxes=[BOX])])
    auth = [("authorization", "Bearer s3cret")]
    assert isinstance(authenticate([principal], auth, "/x"), Principal)
    made = runner.invoke(cli, ["voicemail", "hash-token", "--new"]).output.split()
    assert made[0] == "token" and made[2] == "token_sha256" and len(made[3]) == 64
    assert runner.invoke(cli, ["voicemail", "hash-token"], input="").exit_code == 2


def _encoded(fmt: str, codec: str, rate: int, seconds: float, amplitude: float = 0.3) -> bytes:
    """A 440 Hz stereo tone encoded by FFmpeg as ``fmt``/``codec`` (what a user would upload)."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="stereo")
        t = np.arange(int(rate * seconds)) / rate
        mono = (amplitude * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(
            np.stack([mono, mono]).reshape(1, -1, order="F"), format="s16", layout="stereo"
        )
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize(
    ("suffix", "codec", "rate"),
    [("mp3", "libmp3lame", 44100), ("ogg", "libopus", 48000), ("flac", "flac", 44100)],
)
def test_greeting_set_converts_show_delete(
    config: Path, tmp_path: Path, suffix: str, codec: str, rate: int
) -> None:
    source = tmp_path / f"hello.{suffix}"
    source.write_bytes(_encoded(suffix, codec, rate, 2.0))
    result = tas(config, "greeting", "set", BOX, "--reason", "busy", str(source))
    assert result.exit_code == 0, result.output
    assert "greeting busy of +4712345678 set" in result.output
    greetings = Greetings(tmp_path / "data" / "voicemail" / "greetings")
    stored = greetings.greeting_for(BOX, Reason.BUSY)
    assert stored.name == "busy.wav"
    with wave.open(str(stored)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getnframes() / 8000 == pytest.approx(2.0, abs=0.08)
    shown = tas(config, "greeting", "show", BOX)
    assert shown.exit_code == 0, shown.output
    assert "busy" in shown.output and "own" in shown.output and "shipped default" in shown.output
    deleted = tas(config, "greeting", "delete", BOX, "--reason", "busy")
    assert deleted.exit_code == 0, deleted.output
    assert greetings.custom_greetings(BOX) == {}
    again = tas(config, "greeting", "delete", BOX, "--reason", "busy")
    assert again.exit_code == 1 and "has no own busy greeting" in again.output


def test_greeting_no_answer_falls_back_to_uploaded_unavailable(
    config: Path, tmp_path: Path
) -> None:
    source = tmp_path / "away.flac"
    source.write_bytes(_encoded("flac", "flac", 16000, 1.5))
    assert (
        tas(config, "greeting", "set", BOX, "--reason", "unavailable", str(source)).exit_code == 0
    )
    greetings = Greetings(tmp_path / "data" / "voicemail" / "greetings")
    assert greetings.greeting_for(BOX, Reason.NO_ANSWER).name == "unavailable.wav"


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b"", "file is empty"),
        (b"this is not audio at all" * 10, "not a readable audio file"),
        ("short", "shorter than 1 s"),
        ("long", "longer than 60 s"),
        ("silent", "greeting is silent"),
    ],
)
def test_greeting_set_refuses_bad_audio(
    config: Path, tmp_path: Path, content: bytes | str, text: str
) -> None:
    source = tmp_path / "bad.wav"
    if content == "short":
        source.write_bytes(pcm16_wav(b"\x00\x40" * 4000))
    elif content == "long":
        source.write_bytes(_encoded("flac", "flac", 8000, 61.0))
    elif content == "silent":
        source.write_bytes(pcm16_wav(bytes(32000)))
    else:
        assert isinstance(content, bytes)
        source.write_bytes(content)
    result = tas(config, "greeting", "set", BOX, str(source))
    assert result.exit_code == 2, result.output
    assert f"error: {source}: " in result.output and text in result.output
    assert Greetings(tmp_path / "data" / "voicemail" / "greetings").custom_greetings(BOX) == {}


def test_notify_set_show_clear(config: Path) -> None:
    config.write_text(
        config.read_text()
        + '[voicemail.notify]\nchannels = ["sms"]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
    )
    shown = tas(config, "notify", "show", BOX)
    assert shown.exit_code == 0 and shown.output == f"sms      {BOX}\n"
    result = tas(
        config, "notify", "set", BOX, "--channels", "email,webhook", "--email", "me@example.test"
    )
    assert result.exit_code == 0, result.output
    shown = tas(config, "notify", "show", BOX)
    assert shown.output == "email    me@example.test\nwebhook  http://127.0.0.1:9/hook\n"
    assert tas(config, "notify", "set", BOX, "--channels", "").exit_code == 0
    assert tas(config, "notify", "show", BOX).output == "no notifications\n"
    assert tas(config, "notify", "clear", BOX).exit_code == 0
    assert tas(config, "notify", "show", BOX).output == f"sms      {BOX}\n"


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("--channels", "sms,fax"), "unknown channel(s) fax"),
        (("--email", "not-an-address"), "is not an e-mail address"),
        (("--webhook", "ftp://example.test/x"), "is not an http(s) URL"),
    ],
)
def test_notify_set_refuses_bad_input(config: Path, args: tuple[str, ...], text: str) -> None:
    result = tas(config, "notify", "set", BOX, *args)
    assert result.exit_code == 2 and text in result.output


def test_greeting_set_on_one_replica_is_shown_by_another_with_database_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    monkeypatch.delenv("TAS_DATABASE__URL", raising=False)
    shared_db = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    configs = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.toml"
        path.write_text(
            f'data_dir = "{tmp_path / name}"\n[database]\nurl = "{shared_db}"\n'
            '[voicemail]\nstorage = "database"\n'
        )
        configs.append(path)
    source = tmp_path / "busy.flac"
    source.write_bytes(_encoded("flac", "flac", 16000, 1.5))
    assert tas(configs[0], "greeting", "set", BOX, "--reason", "busy", str(source)).exit_code == 0
    shown = tas(configs[1], "greeting", "show", BOX)
    assert shown.exit_code == 0, shown.output
    busy_line = next(line for line in shown.output.splitlines() if "│ busy" in line)
    assert "own" in busy_line and "1.5" in busy_line
    assert Greetings(tmp_path / "two" / "voicemail" / "greetings").custom_greetings(BOX)
    assert tas(configs[1], "greeting", "delete", BOX, "--reason", "busy").exit_code == 0
    shown = tas(configs[0], "greeting", "show", BOX)
    busy_line = next(line for line in shown.output.splitlines() if "│ busy" in line)
    assert "shipped default" in busy_line
