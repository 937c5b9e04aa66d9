"""Highest clean call rate of ``sipp -sn uac`` (answer -> BYE) against ``tas serve`` over UDP,
next to the rate SIPp reaches against its own ``-sn uas`` on this machine; the ratio is the
figure (issue 2). The server runs in one process pinned to one core when ``taskset`` exists.

The same run then measures calls with 100rel and session timers on (SIPp scenario
``tests/interop/scenarios/uac_100rel_timer_bench.xml``: ``Require: 100rel``, ``Session-Expires:
1800;refresher=uac``) next to the plain calls (issue 13). That server runs with ``[invite]
ring_before_answer = 0``: each call gets a reliable 180 (RSeq), SIPp PRACKs it, the PRACK gets
200, then the INVITE's 200 with ``Session-Expires`` and ``Require: timer`` (RFC 3262 §3, RFC
4028 §9). SIPp's message counters (``-trace_counts``) must show one PRACK sent and one 180
received per successful call, or the row is reported as not clean.

First it prints the server CPU per call at a fixed rate next to the naive responder and SIPp's
uas (:mod:`tests.bench.sip_cpu`, issue 17). Each rate search (plain, 100rel) starts a fresh
server with its own data folder.

A rate is *clean* when SIPp exits 0 with zero failed calls, every call completed, the
achieved call rate is within 10 % of the one asked for (SIPp's cumulative figure includes the
ramp and the last calls' tail) and at most 1 % of calls saw a retransmission (answers within
T1 = 500 ms). Short probes (``BENCH_SIP_PROBE`` s,
default 3) find the edge; the best probe is then confirmed for ``BENCH_SIP_SECONDS`` (5).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
PROBE = float(os.environ.get("BENCH_SIP_PROBE", "3"))
SECONDS = float(os.environ.get("BENCH_SIP_SECONDS", "5"))
SIPP = shutil.which("sipp")
TASKSET = shutil.which("taskset")
TIMERS_SCENARIO = (
    Path(__file__).resolve().parents[1] / "interop" / "scenarios" / "uac_100rel_timer_bench.xml"
)
#: The server of the 100rel row: a 180 before each answer, the 200 after its PRACK.
RING_FIRST = {"TAS_INVITE__RING_BEFORE_ANSWER": "0"}


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pin(core: int) -> list[str]:
    return [TASKSET, "-c", str(core)] if TASKSET and (os.cpu_count() or 1) > 1 else []


def _stats(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    header, values = lines[0].rstrip(";").split(";"), lines[-1].rstrip(";").split(";")
    return dict(zip(header, values, strict=False))


def run_uac(
    port: int,
    rate: int,
    seconds: float,
    workdir: Path,
    scenario: Path | None = None,
    extra: tuple[str, ...] = (),
) -> tuple[bool, dict[str, str]]:
    """One sipp uac run (built-in, or ``scenario``; ``extra`` SIPp options) at ``rate``
    calls/s for ``seconds``; (clean, statistics)."""
    assert SIPP is not None
    which = ["-sf", str(scenario)] if scenario else ["-sn", "uac"]
    calls = max(1, int(rate * seconds))
    rundir = workdir / f"uac_{port}_{rate}_{time.monotonic_ns()}"
    rundir.mkdir()
    stats = rundir / "stats.csv"
    cmd = [
        *_pin(1), "timeout", "-s", "KILL", str(int(seconds * 3 + 40)), SIPP,
        f"127.0.0.1:{port}", *which, "-i", "127.0.0.1", "-p", str(_port()),
        "-r", str(rate), "-m", str(calls), "-l", str(max(rate * 2, 100)),
        "-buff_size", "4194304", "-timeout", str(int(seconds * 3 + 30)), "-timeout_error",
        "-nostdin", "-trace_stat", "-stf", str(stats), "-fd", "1", *extra,
        *(["-trace_counts"] if scenario else []),
    ]  # fmt: skip
    result = subprocess.run(cmd, cwd=rundir, capture_output=True)
    if not stats.exists():
        return False, {}
    s = _stats(stats)
    achieved = float(s.get("CallRate(C)", "0") or 0)
    clean = (
        result.returncode == 0
        and int(s.get("FailedCall(C)", "1")) == 0
        and int(s.get("SuccessfulCall(C)", "0")) == calls
        and achieved >= 0.9 * rate  # SIPp's cumulative rate includes the ramp and the tail
        and int(s.get("Retransmissions(C)", "0")) <= calls // 100
    )
    pracks = ""
    if scenario:
        sent, ringing = prack_counts(rundir)
        s["PRACK sent"], s["180 received"] = str(sent), str(ringing)
        clean = clean and sent >= calls and ringing >= calls
        pracks = f", {sent} PRACKs sent for {ringing} 180s"
    print(
        f"  {rate:>6} calls/s x {seconds:.0f} s: {'clean' if clean else 'NOT clean'} "
        f"(exit {result.returncode}, achieved {achieved:.0f}/s, "
        f"failed {s.get('FailedCall(C)', '?')}, retransmissions {s.get('Retransmissions(C)', '?')}"
        f"{pracks})",
        flush=True,
    )
    return clean, s


def prack_counts(rundir: Path) -> tuple[int, int]:
    """(PRACKs sent, 180s received) from SIPp's ``-trace_counts`` file of one run: its last
    line holds the cumulative count of each scenario message, columns named
    ``<index>_<message>_<Sent|Recv>``."""
    found = list(rundir.glob("*_counts.csv"))
    if not found:
        return 0, 0
    counts = _stats(found[0])
    sent = sum(int(v) for k, v in counts.items() if "PRACK" in k and k.endswith("_Sent"))
    ringing = sum(int(v) for k, v in counts.items() if "_180_" in k and k.endswith("_Recv"))
    return sent, ringing


def start_tas(
    port: int, workdir: Path, settings: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``tas serve`` on UDP ``port``; ``settings``: extra ``TAS_…`` environment settings."""
    log = workdir / f"tas_{port}.log"
    env = dict(os.environ, TAS_DATA_DIR=str(workdir / f"data_{port}"), **(settings or {}))
    cmd = [
        *_pin(0), sys.executable, "-m", "tas", "serve", "--udp", f"127.0.0.1:{port}",
        "--tcp", "off", "--tls", "off", "--metrics", "off", "--log-level", "WARNING",
    ]  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    with log.open("wb") as sink:
        process = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=root)
    # Logging stays at WARNING (no per-call lines); readiness is an answered OPTIONS.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if _answers_options(port):
            return process
        time.sleep(0.1)
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def _answers_options(port: int) -> bool:
    probe = (
        f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-p\r\n"
        "From: <sip:p@127.0.0.1>;tag=p\r\nTo: <sip:127.0.0.1>\r\nCall-ID: probe\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        s.bind(("127.0.0.1", 0))
        probe = probe.replace(b"127.0.0.1:9", f"127.0.0.1:{s.getsockname()[1]}".encode())
        s.sendto(probe, ("127.0.0.1", port))
        try:
            return s.recv(4096).startswith(b"SIP/2.0 200")
        except OSError:
            return False


def find_edge(
    port: int, workdir: Path, start: int, ceiling: int, scenario: Path | None = None
) -> int:
    """Double from ``start`` until a probe fails, then bisect twice; best clean rate or 0."""
    good, bad, rate = 0, 0, start
    while rate <= ceiling:
        clean, _ = run_uac(port, rate, PROBE, workdir, scenario)
        if not clean:
            bad = rate
            break
        good, rate = rate, rate * 2
    if bad:
        for _ in range(2):
            mid = (good + bad) // 2
            if mid <= good:
                break
            clean, _ = run_uac(port, mid, PROBE, workdir, scenario)
            good, bad = (mid, bad) if clean else (good, mid)
    return good


def confirm(
    port: int, workdir: Path, rate: int, scenario: Path | None = None
) -> tuple[int, dict[str, str]]:
    """Run ``SECONDS`` at ``rate``; step down 20 % (three times at most) until clean."""
    for _ in range(4):
        clean, stats = run_uac(port, rate, SECONDS, workdir, scenario)
        if clean:
            return rate, stats
        rate = int(rate * 0.8)
    return 0, {}


_INVITE = (
    "INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1-{n}-0\r\n"
    "From: sipp <sip:sipp@127.0.0.1:5070>;tag={n}SIPpTag001\r\n"
    "To: service <sip:service@127.0.0.1:5060>{to_tag}\r\n"
    "Call-ID: {n}-1@127.0.0.1\r\nCSeq: {seq} {method}\r\n"
    "Contact: sip:sipp@127.0.0.1:5070\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\n"
)
_SDP = (
    "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


def _sipp_message(n: int, method: str, to_tag: str = "") -> bytes:
    """The messages SIPp's built-in uac sends, call ``n`` (branch per message)."""
    seq = 2 if method == "BYE" else 1
    head = _INVITE.format(
        n=n, to_tag=f";tag={to_tag}" if to_tag else "", seq=seq, method=method
    ).replace(f"-{n}-0\r\n", f"-{n}-{method}\r\n")
    head = head.replace("INVITE sip:", f"{method} sip:", 1)
    if method == "INVITE":
        return (
            head + f"Content-Type: application/sdp\r\nContent-Length: {len(_SDP)}\r\n\r\n" + _SDP
        ).encode()
    return (head + "Content-Length: 0\r\n\r\n").encode()


def core_breakdown(calls: int = 3000) -> None:
    """Where one call's CPU goes in-process (no sockets): parsing vs the sans-IO core."""
    import gc

    from tas.sip.endpoint import Endpoint, EndpointConfig
    from tas.sip.parser import parse_message
    from tas.sip.transaction_base import Peer

    ep = Endpoint(EndpointConfig(local={"UDP": ("127.0.0.1", 5060)}))
    peer = Peer("UDP", "127.0.0.1", 5070)
    answer = _SDP.encode()  # (tas.server.sdp_answer, used here before, is gone)
    gc.collect()
    gc.disable()
    try:
        raw = [_sipp_message(n, "INVITE") for n in range(calls)]
        t0 = time.perf_counter()
        invites = [parse_message(r) for r in raw]
        t1 = time.perf_counter()
        tags = []
        for m in invites:
            ep.receive_message(m, peer, 0.0)
            for event in ep.take_events():
                ep.answer(event.call, answer, 0.0)
                tags.append(event.call.local_tag)
            ep.take_outbox()
        t2 = time.perf_counter()
        raw = [_sipp_message(n, m, tags[n]) for n in range(calls) for m in ("ACK", "BYE")]
        t3 = time.perf_counter()
        rest = [parse_message(r) for r in raw]
        t4 = time.perf_counter()
        for m in rest:
            ep.receive_message(m, peer, 0.0)
            ep.take_events()
            ep.take_outbox()
        t5 = time.perf_counter()
    finally:
        gc.enable()
    if ep.calls or len(tags) != calls:
        raise RuntimeError("the in-process calls did not complete")
    us = 1e6 / calls
    parse, core = ((t1 - t0) + (t4 - t3)) * us, ((t2 - t1) + (t5 - t4)) * us
    print(
        f"in-process per call (INVITE/200, ACK, BYE/200): parse {parse:.0f} us, "
        f"transactions+dialog+endpoint {core:.0f} us -> {1e6 / (parse + core):.0f} calls/s "
        "before socket I/O and the event loop"
    )


def main() -> None:
    from tests.bench.sip_cpu import cpu_per_call, report, setup_latency

    core_breakdown()
    if SIPP is None:
        print("sipp not installed: skipped (apt-get install sip-tester)")
        return
    with tempfile.TemporaryDirectory(prefix="bench_sip_") as tmp:
        workdir = Path(tmp)
        report(cpu_per_call(workdir, 300, 5.0), 300, 5.0)
        # SIPp against SIPp: the machine's reference.
        uas_port = _port()
        uas = subprocess.Popen(
            [
                *_pin(0),
                SIPP,
                "-sn",
                "uas",
                "-i",
                "127.0.0.1",
                "-p",
                str(uas_port),
                "-buff_size",
                "4194304",
                "-nostdin",
            ],  # fmt: skip
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        try:
            reference = find_edge(uas_port, workdir, 4000, 8000)  # 16,000 failing cost ~60 s
        finally:
            uas.kill()
            uas.wait()
        print(f"sipp uac -> sipp uas: {reference} calls/s clean ({PROBE:.0f} s probes)")
        full = measure(workdir, confirm_run=True)
        print(
            f"sipp uac -> tas serve (UDP, server on one core): {full[0]} calls/s clean for "
            f"{SECONDS:.0f} s ({full[1].get('SuccessfulCall(C)', 0)} calls, "
            f"{full[1].get('Retransmissions(C)', '?')} retransmissions)"
        )
        if reference:
            print(f"ratio tas/sipp: {full[0] / reference:.3f}")
        if full[0]:  # issue 17: p99 setup latency at half the highest clean rate
            setup_latency(workdir, full[0] // 2)
        # 100rel + timers cost more per call than plain calls: start the search at half the
        # plain edge rather than at 125 (two probes fewer, issue 17's 8 minutes)
        timers = measure(
            workdir, confirm_run=True, scenario=TIMERS_SCENARIO, settings=RING_FIRST,
            start=max(125, full[0] // 2),
        )  # fmt: skip
        print(
            f"sipp uac with 100rel + session timers -> tas serve: {timers[0]} calls/s clean "
            f"for {SECONDS:.0f} s ({timers[1].get('SuccessfulCall(C)', 0)} calls, "
            f"{timers[1].get('PRACK sent', 0)} PRACKs for {timers[1].get('180 received', 0)} "
            "reliable 180s), next to "
            f"{full[0]} calls/s plain in the same run"
        )


def measure(
    workdir: Path,
    *,
    confirm_run: bool,
    scenario: Path | None = None,
    settings: dict[str, str] | None = None,
    start: int = 125,
) -> tuple[int, dict[str, str]]:
    """Find the edge on one server (doubling from ``start``), then confirm on a fresh one: the
    probes past the edge leave a backlog (and 503s) that would otherwise count against the
    confirmation."""
    edge = _with_server(
        workdir, lambda port: find_edge(port, workdir, start, 8000, scenario), settings
    )
    if not confirm_run or not edge:
        return edge, {}
    return _with_server(workdir, lambda port: confirm(port, workdir, edge, scenario), settings)


def _with_server(
    workdir: Path, work: Callable[[int], T], settings: dict[str, str] | None = None
) -> T:
    port = _port()
    server = start_tas(port, workdir, settings)
    try:
        return work(port)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
