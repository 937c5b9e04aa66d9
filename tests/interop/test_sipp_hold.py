"""SIPp holds and resumes a call to ``tas serve`` for a number with no registration (issue 11,
"Must show"): the direct leg's answers come from media/offer_answer.py, so a ``sendonly``
re-INVITE gets ``a=recvonly`` (RFC 3264 §6.1, §8.4) and the resume ``a=sendrecv`` (checked by
SIPp's ``ereg ... check_it``); RTP is counted where the offer said: one packet per 20 ms while
the call is up, none while it is held; the leg shows in ``tas calls list``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.interop.conftest import TasServer, free_port, run_sipp

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.timeout(120)]

SCENARIO = Path(__file__).parent / "scenarios" / "uac_hold_resume.xml"
NUMBER = "+4799990099"  # no registration anywhere


class RtpCounter:
    """A UDP socket standing in for SIPp's media port: (arrival time, payload type, SSRC)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.packets: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(2048)
            except TimeoutError:
                continue
            if len(data) >= 12 and data[0] >> 6 == 2 and not 72 <= data[1] & 0x7F <= 76:
                ssrc = int.from_bytes(data[8:12], "big")
                self.packets.append((time.monotonic(), data[1] & 0x7F, ssrc))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()

    def between(self, start: float, end: float) -> list[tuple[float, int, int]]:
        return [p for p in self.packets if start <= p[0] < end]


def _calls_list(server: TasServer) -> list[dict[str, object]]:
    env = dict(os.environ, TAS_DATA_DIR=str(server.log.parent / "data"))
    out = subprocess.run(
        ["timeout", "60", sys.executable, "-m", "tas", "calls", "list", "--json"],
        capture_output=True,
        check=True,
        timeout=70,
        env=env,
    )
    listed: list[dict[str, object]] = json.loads(out.stdout)
    return listed


@pytest.mark.parametrize(
    ("transport", "pt", "codec"),
    [("u1", 0, "PCMU"), ("t1", 0, "PCMU"), ("u1", 8, "PCMA")],
    ids=["udp-pcmu", "tcp-pcmu", "udp-pcma-only"],
)
def test_sipp_hold_gets_recvonly_and_rtp_follows(
    sipp: str, tas_server: TasServer, tmp_path: Path, transport: str, pt: int, codec: str
) -> None:
    counter = RtpCounter()
    try:
        start = time.monotonic()
        args = [
            f"127.0.0.1:{tas_server.port}", "-sf", str(SCENARIO), "-t", transport,
            "-i", "127.0.0.1", "-p", str(free_port()), "-m", "1", "-s", NUMBER,
            "-key", "rtp_port", str(counter.port), "-key", "pt", str(pt), "-key", "codec", codec,
            "-timeout", "60", "-timeout_error",
        ]  # fmt: skip
        code, stats, errors = run_sipp(sipp, tmp_path, args)
        end = time.monotonic()
    finally:
        counter.close()
    assert code == 0, f"sipp exit {code}: {errors[-3000:]}\n{tas_server.log.read_text()[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == 1 and int(stats["FailedCall(C)"]) == 0
    packets = counter.packets
    assert packets, "no RTP from the TAS"
    assert {p[1] for p in packets} == {pt}  # the offered codec (PCMA-only is answered PCMA)
    assert len({p[2] for p in packets}) == 1  # one SSRC for the stream's life
    # Phases (1.5 s each): up, held (sendonly -> we are recvonly: we send nothing), resumed.
    first = packets[0][0]
    gaps = [b[0] - a[0] for a, b in zip(packets, packets[1:], strict=False)]
    hold_gap = max(gaps)
    hold_at = packets[gaps.index(hold_gap)][0]
    up = counter.between(first, hold_at + 1e-6)
    resumed = [p for p in packets if p[0] > hold_at]
    print(
        f"{transport} {codec}: {len(packets)} RTP packets in {end - start:.2f} s; "
        f"before hold {len(up)}, hold gap {hold_gap:.2f} s, after resume {len(resumed)}"
    )
    assert 1.2 <= hold_gap <= 2.2, f"no silence on hold: largest gap {hold_gap:.3f} s"
    assert 55 <= len(up) <= 85, len(up)  # ~1.5 s at 50 packets/s (one per 20 ms)
    assert 55 <= len(resumed) <= 85, len(resumed)
    listed: list[dict[str, object]] = []
    for _ in range(50):  # the record is written asynchronously
        listed = _calls_list(tas_server)
        if any(c.get("callee") == NUMBER and c.get("outcome") != "in-progress" for c in listed):
            break
        time.sleep(0.2)
    ours = [c for c in listed if c.get("callee") == NUMBER]
    assert ours, listed
    leg = ours[0]["legs"][0]  # type: ignore[index]
    assert ours[0]["route"] == "direct" and ours[0]["outcome"] == "answered-by-tas", ours[0]
    assert leg["action"] == "answer" and leg["status"] == 200, leg
    kinds = [e["kind"] for e in ours[0]["entries"]]  # type: ignore[attr-defined]
    assert kinds.count("reinvite") == 2 and kinds[-1] == "bye", kinds
