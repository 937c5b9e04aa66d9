"""``tas call`` against SIPp, a peer we did not write: the built-in ``uas`` scenario (with
``-rtp_echo``), and a small UAS scenario that challenges with digest auth (RFC 2617 / 3261
§22.4) and checks our answer with SIPp's ``verifyauth``.

Each SIPp runs under ``timeout`` on loopback with its own -p/-mp ports; the harness CLI runs
in-process (click runner).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tas.harness.cli import call
from tests.interop.conftest import free_port

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

AUTH_UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uas with digest auth">
  <recv request="INVITE" />
  <send><![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="harness.test", nonce="[pid]n[call_number]", algorithm=MD5
Content-Length: 0

]]></send>
  <recv request="ACK" />
  <recv request="INVITE">
    <action>
      <verifyauth assign_to="authvalid" username="alice" password="s3cret" />
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="good" />
  <send><![CDATA[
SIP/2.0 403 Forbidden
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <recv request="ACK" next="end" />
  <label id="good" />
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]></send>
  <recv request="ACK" />
  <recv request="BYE" />
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <label id="end" />
</scenario>
"""


class Sipp:
    """A SIPp UAS in the background, stopped (and reaped) at the end of the test."""

    def __init__(self, sipp: str, tmp_path: Path, calls: int, *args: str) -> None:
        self.port = free_port()
        self.media_port = free_port()
        self.log = tmp_path / f"sipp_{self.port}.log"
        cmd = [
            "timeout", "-s", "KILL", "60", sipp, "-i", "127.0.0.1", "-p", str(self.port),
            "-mp", str(self.media_port), "-m", str(calls), "-nostdin", *args,
        ]  # fmt: skip
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=tmp_path
            )
        self._wait_bound()

    def _wait_bound(self) -> None:
        """Until SIPp holds its UDP port (so our first INVITE is not lost to its start-up)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                try:
                    probe.bind(("127.0.0.1", self.port))
                except OSError:
                    return
            time.sleep(0.02)

    @property
    def uri(self) -> str:
        return f"sip:service@127.0.0.1:{self.port}"

    def wait(self, seconds: float = 30) -> int:
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def uas(sipp: str, tmp_path: Path) -> Iterator[Sipp]:
    peer = Sipp(sipp, tmp_path, 1, "-sn", "uas", "-rtp_echo")
    yield peer
    peer.stop()


def tas_call(*args: str) -> Result:
    return CliRunner().invoke(call, list(args), catch_exceptions=False)


def failures(result: Result) -> list[str]:
    return [line[6:] for line in result.stderr.splitlines() if line.startswith("FAIL: ")]


def test_answered_rtp_and_tone_hold_against_sipp_uas(uas: Sipp) -> None:
    result = tas_call(uas.uri, "--play", "tone:1000", "--duration", "1.5s", "--json",
                      "--expect", "answered", "--expect", "rtp", "--expect", "tone=1000",
                      "--expect", "loss<=1%")  # fmt: skip
    assert result.exit_code == 0, result.output + uas.log.read_text()
    out = json.loads(result.stdout)["result"]
    labels = [e["label"].split(" ")[0] for e in out["ladder"]]
    assert labels[0] == "INVITE" and "200" in labels and labels[-2:] == ["BYE", "200"]
    assert out["rtp"]["packets_received"] > 40
    assert uas.wait() == 0, uas.log.read_text()


def test_status_beep_and_remote_hangup_fail_against_sipp_uas(uas: Sipp) -> None:
    result = tas_call(uas.uri, "--play", "tone:1000", "--duration", "1s", "--expect",
                      "status=486", "--expect", "beep", "--expect", "remote-hangup",
                      "--expect", "dtmf=5")  # fmt: skip
    assert result.exit_code == 1, result.output
    lines = failures(result)
    assert lines[0] == "expected final status 486, got 200 OK"
    assert lines[1].startswith("expected a beep, heard none (tones: 100")  # echo, cut at the end
    assert lines[2] == "expected the far end to hang up, we hung up"
    assert lines[3] == "expected DTMF '5', received no digits"
    assert uas.wait() == 0, uas.log.read_text()


def test_cancel_is_not_a_failure_of_sipp_uas_but_answered_is_not_met(uas: Sipp) -> None:
    """SIPp's uas answers at once: a CANCEL after 1 s comes too late, so status=487 fails."""
    result = tas_call(uas.uri, "--cancel-after", "1s", "--duration", "0.3s")
    assert result.exit_code == 1
    assert failures(result) == ["expected final status 487, got 200 OK"]


def test_load_of_50_calls_against_sipp_uas(sipp: str, tmp_path: Path) -> None:
    peer = Sipp(sipp, tmp_path, 50, "-sn", "uas")
    try:
        result = tas_call(peer.uri, "--rate", "50", "--calls", "50", "--talk", "0.1s",
                          "--no-media", "--json")  # fmt: skip
        assert result.exit_code == 0, result.output + peer.log.read_text()
        report = json.loads(result.stdout)
        assert (report["attempted"], report["answered"], report["failed"]) == (50, 50, 0)
        assert peer.wait() == 0, peer.log.read_text()
    finally:
        peer.stop()


@pytest.mark.parametrize(
    ("password", "code", "status"), [("s3cret", 0, 200), ("wrong", 1, 403)], ids=["good", "bad"]
)
def test_digest_auth_against_a_challenging_sipp(
    sipp: str, tmp_path: Path, password: str, code: int, status: int
) -> None:
    scenario = tmp_path / "auth_uas.xml"
    scenario.write_text(AUTH_UAS)
    peer = Sipp(sipp, tmp_path, 1, "-sf", str(scenario))
    try:
        result = tas_call(peer.uri, "--user", "alice", "--password", password, "--duration",
                          "0.3s", "--no-media", "--json")  # fmt: skip
        assert result.exit_code == code, result.output + peer.log.read_text()
        out = json.loads(result.stdout)["result"]
        statuses = [e["status"] for e in out["ladder"] if e["direction"] == "in"]
        assert statuses[:1] == [401] and status in statuses
        invites = [e for e in out["ladder"] if e["label"].startswith("INVITE")]
        assert len(invites) == 2  # the challenge was answered once
        assert peer.wait() == 0, peer.log.read_text()
    finally:
        peer.stop()
