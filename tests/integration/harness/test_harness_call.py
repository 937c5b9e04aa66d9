"""``tas call`` against the TAS and its sandbox core: every expectation passes when it should
and fails (exit 1, one clear line) when it should not; exit 2 for bad input, 3 unreachable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from media.tones import dominant_frequency
from media.wav import read_wav
from tas.server import TasServer
from tests.integration.harness.conftest import (
    ANNOUNCE,
    ANSWER,
    BUSY_VM,
    CALLER,
    ECHO,
    SILENT,
    TOKEN,
    core_of,
    tas_call,
    tas_uri,
)

pytestmark = pytest.mark.timeout(120)


def failures(stderr: str) -> list[str]:
    return [line[6:] for line in stderr.splitlines() if line.startswith("FAIL: ")]


async def test_answered_call_through_the_core_reports_ladder_rtp_and_tone(
    server: TasServer, tmp_path: Path
) -> None:
    heard = tmp_path / "heard.wav"
    args = ["--expect", "answered", "--expect", "tone=440", "--expect", "rtp"]
    args += ["--expect", "loss<=1%", "--expect", "setup<=5s", "--record", str(heard)]
    result = await tas_call(
        ANSWER, "--core", core_of(server), "--duration", "1.5s", "--json", *args
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["passed"] and all(e["ok"] for e in out["expectations"])
    call = out["result"]
    assert (call["status"], call["answered"], call["ended_by"]) == (200, True, "local")
    labels = [(e["direction"], e["label"].split(" ")[0]) for e in call["ladder"]]
    assert labels[0] == ("out", "INVITE") and ("in", "200") in labels
    assert labels[-2:] == [("out", "BYE"), ("in", "200")]
    assert call["rtp"]["packets_received"] > 40 and call["rtp"]["packets_sent"] > 40
    assert call["recording"] == str(heard)
    audio = read_wav(heard)
    assert audio.duration > 0.8
    assert dominant_frequency(audio.pcm16()[:3200]) == pytest.approx(440, abs=10)


async def test_answered_fails_on_a_busy_number_and_status_486_holds(server: TasServer) -> None:
    core = core_of(server)
    busy = await tas_call(BUSY_VM.replace("1", "9", 1), "--core", core, "--duration", "0.3s")
    assert busy.exit_code == 0, busy.output
    server.core.handsets.set(ANSWER, "busy")
    failed = await tas_call(ANSWER, "--core", core, "--expect", "answered")
    assert failed.exit_code == 1
    assert failures(failed.stderr) == ["expected the call to be answered, got 486 Busy Here"]
    passed = await tas_call(ANSWER, "--core", core, "--expect", "status=486")
    assert passed.exit_code == 0, passed.output
    assert "486 Busy Here" in passed.stdout


async def test_status_fails_when_the_call_is_answered(server: TasServer) -> None:
    result = await tas_call(ANSWER, "--core", core_of(server), "--duration", "0.3s",
                            "--expect", "status=486")  # fmt: skip
    assert result.exit_code == 1
    assert failures(result.stderr) == ["expected final status 486, got 200 OK"]


async def test_voicemail_and_beep_hold_for_a_busy_fallback_number(server: TasServer) -> None:
    api = f"127.0.0.1:{server.voicemail_api.port}"
    result = await tas_call(
        BUSY_VM, "--core", core_of(server), "--from", CALLER, "--expect", "voicemail",
        "--expect", "beep", "--voicemail-api", api, "--token", TOKEN, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    call = json.loads(result.stdout)["result"]
    assert call["voicemail"]["stored"] and call["voicemail"]["caller"] == CALLER
    beeps = [t for t in call["tones"] if t["beep"] and abs(t["frequency"] - 1000) < 10]
    assert len(beeps) == 1
    assert call["ended_by"] == "local"  # hung up 3 s after the beep
    stored = await server.voicemail.list_messages(BUSY_VM)
    assert [m.voicemail_id for m in stored] == [call["voicemail"]["voicemail_id"]]
    assert stored[0].duration >= 1.0


async def test_voicemail_and_beep_fail_when_a_handset_answers(server: TasServer) -> None:
    api = f"127.0.0.1:{server.voicemail_api.port}"
    result = await tas_call(
        ANSWER, "--core", core_of(server), "--from", CALLER, "--duration", "1s",
        "--expect", "voicemail", "--expect", "beep", "--voicemail-api", api, "--token", TOKEN,
    )  # fmt: skip
    assert result.exit_code == 1
    lines = failures(result.stderr)
    assert lines[0] == (
        f"expected a voicemail in mailbox {ANSWER}, no new message in 5 s after the call"
    )
    assert lines[1].startswith("expected a beep, heard none (tones: 44")


async def test_voicemail_with_a_wrong_token_is_unreachable_api(server: TasServer) -> None:
    api = f"127.0.0.1:{server.voicemail_api.port}"
    result = await tas_call(BUSY_VM, "--core", core_of(server), "--expect", "voicemail",
                            "--voicemail-api", api, "--token", "wrong")  # fmt: skip
    assert result.exit_code == 3
    assert "PERMISSION_DENIED" in result.stderr


async def test_dtmf_is_heard_back_from_an_echoing_handset(server: TasServer) -> None:
    core = core_of(server)
    echo = await tas_call(ECHO, "--core", core, "--dtmf", "1@0.3s,#@0.6s", "--duration", "1.2s",
                          "--expect", "dtmf=1#", "--play", "tone:1000", "--expect", "tone=1000",
                          "--json")  # fmt: skip
    assert echo.exit_code == 0, echo.output
    call = json.loads(echo.stdout)["result"]
    assert call["dtmf_sent"] == "1#"
    assert [d["digit"] for d in call["dtmf_received"]] == ["1", "#"]
    plain = await tas_call(ANSWER, "--core", core, "--dtmf", "1@0.3s", "--duration", "0.8s",
                           "--expect", "dtmf=1")  # fmt: skip
    assert plain.exit_code == 1
    assert failures(plain.stderr) == ["expected DTMF '1', received no digits"]


async def test_cancel_after_gives_487_and_fails_answered(server: TasServer) -> None:
    core = core_of(server)
    cancelled = await tas_call(SILENT, "--core", core, "--cancel-after", "0.5s", "--json")
    assert cancelled.exit_code == 0, cancelled.output
    call = json.loads(cancelled.stdout)["result"]
    assert (call["status"], call["cancelled"]) == (487, True)
    assert [e["label"].split(" ")[0] for e in call["ladder"] if e["direction"] == "out"] == [
        "INVITE",
        "CANCEL",
        "ACK",
    ]
    failed = await tas_call(
        SILENT, "--core", core, "--cancel-after", "0.3s", "--expect", "answered"
    )
    assert failed.exit_code == 1
    assert failures(failed.stderr) == [
        "expected the call to be answered, got 487 Request Terminated"
    ]


async def test_hold_and_resume_through_the_core(server: TasServer) -> None:
    core = core_of(server)
    held = await tas_call(ANSWER, "--core", core, "--hold", "--duration", "1.5s", "--json")
    assert held.exit_code == 0, held.output
    call = json.loads(held.stdout)["result"]
    assert call["hold"] == {"hold_status": 200, "resume_status": 200}
    invites = [e for e in call["ladder"] if e["label"].startswith("INVITE")]
    assert len(invites) == 3
    server.core.handsets.set(ANSWER, "busy")
    failed = await tas_call(ANSWER, "--core", core, "--hold")
    assert failed.exit_code == 1
    assert failures(failed.stderr) == [
        "expected hold/resume, the call was not answered: got 486 Busy Here"
    ]


async def test_direct_to_the_tas_over_udp_tcp_and_tls(server: TasServer) -> None:
    for transport, extra in (("UDP", []), ("TCP", []), ("TLS", ["--insecure"])):
        result = await tas_call(tas_uri(server, transport), "--duration", "0.3s",
                                "--expect", "answered", "--json", *extra)  # fmt: skip
        assert result.exit_code == 0, (transport, result.output)
        call = json.loads(result.stdout)["result"]
        assert call["transport"] == transport and call["status"] == 200
    # a direct leg (no registration) has real media now (issue 11): RTP arrives (silence,
    # one packet per 20 ms); the TAS keeps the call, so remote-hangup fails, and no setup is
    # instant
    silent = await tas_call(tas_uri(server), "--duration", "0.5s", "--expect", "rtp",
                            "--expect", "remote-hangup", "--expect", "setup<=0ms")  # fmt: skip
    assert silent.exit_code == 1
    lines = failures(silent.stderr)
    assert lines[0] == "expected the far end to hang up, we hung up"
    assert lines[1].startswith("expected setup within 0 ms, took ")
    assert len(lines) == 2, lines  # --expect rtp held


async def test_tls_without_trust_is_unreachable_and_with_the_ca_works(server: TasServer) -> None:
    refused = await tas_call(tas_uri(server, "TLS"), "--duration", "0.2s")
    assert refused.exit_code == 3
    assert "UNREACHABLE" in refused.stderr and "--insecure" in refused.stderr
    cert = server.settings.data_dir / "tls" / "sip-tls-cert.pem"
    trusted = await tas_call(tas_uri(server, "TLS"), "--duration", "0.2s", "--ca", str(cert))
    assert trusted.exit_code == 0, trusted.output


async def test_remote_hangup_holds_when_the_tas_hangs_up(tmp_path: Path) -> None:
    from tests.integration.harness.conftest import harness_settings, start_server

    settings = harness_settings(tmp_path / "data")
    settings.invite.hangup_after = 0.3
    server = await start_server(settings)
    try:
        result = await tas_call(tas_uri(server), "--duration", "5s", "--expect", "remote-hangup")
        assert result.exit_code == 0, result.output
        assert "hung up by the far end" in result.stdout
    finally:
        await server.stop(grace=1.0)


async def test_unreachable_targets_exit_3(server: TasServer) -> None:
    from tests.interop.conftest import free_port

    port = free_port()
    tcp = await tas_call(f"sip:x@127.0.0.1:{port}", "--transport", "tcp")
    assert tcp.exit_code == 3
    assert f"UNREACHABLE: no response from tcp:127.0.0.1:{port}" in tcp.stderr
    assert "(connection refused)" in tcp.stderr
    assert "503" not in tcp.output  # the stack's own 503 is not the peer's answer
    name = await tas_call("sip:x@no-such-host.invalid:5060")
    assert name.exit_code == 3 and "cannot resolve" in name.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bob"], "TARGET must be a number"),
        (["+4799990000", "--expect", "ringing"], "unknown or malformed expectation"),
        (["+4799990000", "--dtmf", "1"], "needs a time"),
        (["+4799990000", "--duration", "soon"], "not a duration"),
        (["+4799990000", "--play", "/no/such.wav"], "no such file"),
        (["+4799990000", "--header", "Via: x"], "set by the SIP stack"),
        (["+4799990000", "--user", "u"], "--user and --password go together"),
        (["sip:x@10.1.2.3", "--rate", "10", "--calls", "5"], "not loopback"),
        (["+4799990000", "--rate", "10"], "exactly one of --calls or --duration"),
        (["+4799990000", "--rate", "10", "--calls", "2", "--expect", "beep"], "single calls"),
        (["+4799990000", "--no-media", "--expect", "voicemail"], "needs media"),
    ],
)
async def test_bad_input_exits_2(args: list[str], message: str) -> None:
    result = await tas_call(*args, "--core", "127.0.0.1:9")
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_loss_is_measured_from_rtp_sequence_gaps() -> None:
    """The RTP figures come from media.stream (RFC 3550 A.3); a sanity check of the summary."""
    from tas.harness.result import RtpSummary

    summary = RtpSummary(100, 90, 10, 0.1, 0.002).to_dict()
    assert summary == {
        "packets_sent": 100,
        "packets_received": 90,
        "lost": 10,
        "loss_percent": 10.0,
        "jitter_ms": 2.0,
    }
    assert np.isclose(summary["loss_percent"], 10.0)


async def test_the_tas_answers_through_the_core_plays_its_chime_and_hangs_up(
    server: TasServer,
) -> None:
    result = await tas_call(ANNOUNCE, "--core", core_of(server), "--duration", "10s",
                            "--expect", "answered", "--expect", "beep", "--expect", "tone=1320",
                            "--expect", "remote-hangup", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    call = json.loads(result.stdout)["result"]
    heard = [t["frequency"] for t in call["tones"]]
    assert heard == [pytest.approx(hz, abs=5) for hz in (660, 880, 1320)]
    assert call["ended_by"] == "remote" and call["talk_time"] < 5
