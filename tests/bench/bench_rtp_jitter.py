"""RTP send-interval jitter of our media engine next to SIPp's pcap play, in the same run.

For 1, 100 and 500 concurrent calls: (a) our side, N :class:`~media.session.MediaSession`
answers in this process, each sending its 20 ms stream (silence between prompts, which is
the same clock path); (b) SIPp, ``sipp -sn uac_pcap`` placing N calls that play
``g711a.pcap`` to a tiny SIP answerer here. A capture child process receives every stream
on its own socket with kernel receive timestamps (SO_TIMESTAMPNS) and measures, between
consecutive audio packets of one stream, ``|arrival delta - RTP timestamp delta / 8000|``
(µs): p50, p99, max. Ours also reports packets/s per stream and the set of timestamp
deltas (exactly 160 when the clock is right).

``python -m tests.bench rtp_jitter`` (figures, no assertions). ``BENCH_RTP_CALLS=1,100,500``,
``BENCH_RTP_SECONDS=4``. The machine may be shared: figures are noisy.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import selectors
import shutil
import socket
import struct
import sys
import tempfile
import time
from array import array
from multiprocessing.connection import Connection
from pathlib import Path

from tests.naive_sip import header_map, ok_response

CALLS = tuple(int(n) for n in os.environ.get("BENCH_RTP_CALLS", "1,100,500").split(","))
SECONDS = float(os.environ.get("BENCH_RTP_SECONDS", "4"))
SKIP = 25  # intervals per stream left out at its start (0.5 s of warm-up)
CAPTURE_PORTS = 38000
OUR_PORTS = (36000, 37999)
PCAPS = Path("/usr/share/sip-tester")
_HEADER = struct.Struct("!BBHII")
_TIMESPEC = struct.Struct("@ll")
# SO_TIMESTAMPNS is 35 on Linux; Python 3.11's socket module does not name it
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else 0)


# --- capture (child process) -------------------------------------------------------------


def _capture_main(conn: Connection, ports: list[int]) -> None:
    selector = selectors.DefaultSelector()
    state: dict[int, list[float]] = {}  # fd -> [arrival, ts, seq, intervals]
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        if SO_TIMESTAMPNS:
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.bind(("127.0.0.1", port))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    conn.send("ready")
    deviations = array("d")
    packets = 0
    ts_deltas: dict[int, int] = {}
    spans: dict[int, list[float]] = {}  # fd -> [first, last] audio arrival
    while not conn.poll():
        for key, _ in selector.select(0.05):
            reader = key.fileobj
            assert isinstance(reader, socket.socket)
            fd = reader.fileno()
            while True:
                try:
                    data, ancillary, _, _ = reader.recvmsg(2048, 64)
                except (BlockingIOError, InterruptedError):
                    break
                now = time.time()
                for level, kind, value in ancillary:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        sec, nsec = _TIMESPEC.unpack_from(value)
                        now = sec + nsec * 1e-9
                if len(data) < 12:
                    continue
                _, second, seq, ts, _ = _HEADER.unpack_from(data)
                if second & 0x7F not in (0, 8):  # audio only (no RTCP, no RFC 4733)
                    continue
                packets += 1
                span = spans.setdefault(fd, [now, now])
                span[1] = now
                old = state.get(fd)
                if old is not None and (seq - int(old[2])) & 0xFFFF == 1:
                    delta = (ts - int(old[1])) & 0xFFFFFFFF
                    ts_deltas[delta] = ts_deltas.get(delta, 0) + 1
                    count = int(old[3]) + 1
                    if count > SKIP:
                        deviations.append(abs((now - old[0]) - delta / 8000) * 1e6)
                    state[fd] = [now, ts, seq, count]
                else:
                    state[fd] = [now, ts, seq, 0 if old is None else old[3]]
    conn.recv()
    seconds = sum(last - first for first, last in spans.values())
    conn.send((deviations.tobytes(), packets, seconds, ts_deltas))


class Capture:
    def __init__(self, count: int) -> None:
        self.ports = list(range(CAPTURE_PORTS, CAPTURE_PORTS + count))
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(
            target=_capture_main, args=(child, self.ports), daemon=True
        )
        self.process.start()
        child.close()  # so a capture process that dies is EOF here, not a wait forever
        try:
            ready = self.conn.recv() if self.conn.poll(30) else "no answer in 30 s"
        except EOFError:
            ready = "it exited (a capture port in use?)"
        if ready != "ready":
            self.process.kill()
            raise RuntimeError(f"capture process did not start: {ready}")

    def stop(self) -> tuple[list[float], int, float, dict[int, int]]:
        self.conn.send("stop")
        raw, packets, span, ts_deltas = self.conn.recv()
        self.process.join(5)
        values = array("d")
        values.frombytes(raw)
        return sorted(values), packets, span, ts_deltas


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else float("nan")


def _row(who: str, calls: int, values: list[float], extra: str) -> None:
    print(
        f"{who:<6} {calls:>5} {len(values):>8} {_pct(values, 0.5):>9.0f} {_pct(values, 0.99):>9.0f}"
        f" {values[-1] if values else float('nan'):>9.0f}  {extra}",
        flush=True,
    )


def _offer(port: int) -> str:
    return (
        "v=0\r\no=far 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    )


# --- ours ----------------------------------------------------------------------------------


async def _ours(calls: int) -> None:
    from media.session import MediaEngine, MediaSession
    from media.tones import tone

    capture = Capture(calls)
    engine = MediaEngine("127.0.0.1", *OUR_PORTS)
    sessions = [(await MediaSession.create(engine, _offer(p)))[0] for p in capture.ports]
    prompt = tone([440.0], 0.2)
    plays = [asyncio.ensure_future(s.play(prompt)) for s in sessions[::2]]  # half play a prompt
    late0, skipped0 = engine.pacer.late_ticks, engine.pacer.skipped
    await asyncio.sleep(SECONDS)
    late, skipped = engine.pacer.late_ticks - late0, engine.pacer.skipped - skipped0
    for session in sessions:
        await session.close()
    await asyncio.gather(*plays)
    values, packets, span, ts_deltas = capture.stop()
    rate = packets / span if span else 0.0  # per stream: packets / its own duration
    deltas = ",".join(f"{d}x{n}" for d, n in sorted(ts_deltas.items())[:4])
    _row(
        "ours",
        calls,
        values,
        f"{rate:.2f} pkt/s/stream, ts deltas {deltas}, late ticks {late}, skipped {skipped}",
    )
    engine.pacer.close()
    engine.files.shutdown()


# --- SIPp --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Answerer(asyncio.DatagramProtocol):
    """Answers SIPp's INVITEs with SDP pointing at the next capture socket; 200 to BYE."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = iter(ports)
        self.transport: asyncio.DatagramTransport | None = None
        self.byes = 0
        self.answered: dict[str, str] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = data.decode(errors="replace")
        method = message.split(" ", 1)[0]
        h = header_map(message)
        if method == "INVITE":
            sdp = self.answered.get(h.get("call-id", ""))
            if sdp is None:
                sdp = _offer(next(self.ports))
                self.answered[h.get("call-id", "")] = sdp
            self._respond(h, addr, sdp)
        elif method == "BYE":
            self.byes += 1
            self._respond(h, addr, "")

    def _respond(self, h: dict[str, str], addr: tuple[str, int], sdp: str) -> None:
        assert self.transport is not None
        self.transport.sendto(
            ok_response(h, sdp, tag="bench", contact="<sip:bench@127.0.0.1>"), addr
        )


async def _sipp(calls: int) -> None:
    loop = asyncio.get_running_loop()
    capture = Capture(calls)
    transport, answerer = await loop.create_datagram_endpoint(
        lambda: _Answerer(capture.ports), local_addr=("127.0.0.1", 0)
    )
    port = transport.get_extra_info("sockname")[1]
    with tempfile.TemporaryDirectory() as folder:
        os.symlink(PCAPS, Path(folder) / "pcap")
        process = await asyncio.create_subprocess_exec(
            "timeout", "60", "sipp", "-sn", "uac_pcap", f"127.0.0.1:{port}",
            "-i", "127.0.0.1", "-p", str(_free_port()), "-mp", "40000", "-m", str(calls), "-l", str(calls),
            "-r", str(max(1, calls)), "-rp", "1000", "-nostdin", "-timeout", "50s",
            "-trace_err", "-error_file", str(Path(folder) / "err.log"),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, cwd=folder,
        )  # fmt: skip
        try:
            code = await asyncio.wait_for(process.wait(), 70)
        except TimeoutError:
            process.kill()
            code = await process.wait()
    transport.close()
    values, packets, span, _ = capture.stop()
    rate = packets / span if span else 0.0
    _row("sipp", calls, values, f"{rate:.2f} pkt/s/stream, exit {code}, BYEs {answerer.byes}")


def main() -> None:
    if os.environ.get("BENCH_LOOP") != "asyncio":
        try:
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
    have_sipp = shutil.which("sipp") is not None and (PCAPS / "g711a.pcap").exists()
    print(
        "RTP send-interval jitter, |arrival delta - timestamp delta| per stream (us), "
        f"kernel receive timestamps, {os.cpu_count()} CPUs"
    )
    print(f"{'sender':<6} {'calls':>5} {'samples':>8} {'p50':>9} {'p99':>9} {'max':>9}")
    for calls in CALLS:
        asyncio.run(_ours(calls))
        if have_sipp:
            asyncio.run(_sipp(calls))
        else:
            print(f"sipp   {calls:>5}  skipped: sipp (sip-tester) or g711a.pcap not installed")


if __name__ == "__main__":
    main()
