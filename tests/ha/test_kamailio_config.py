"""The shipped deploy/kamailio/kamailio.cfg as Debian's Kamailio runs it: it parses plain and
with TLS, and in-dialog requests without a route set get an answer, never silence, and never
a loop through the proxy itself (#14)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.ha.conftest import KAMAILIO_CFG, start_kamailio, start_replica

pytestmark = [pytest.mark.interop, pytest.mark.timeout(90)]

TLS_CFG = KAMAILIO_CFG.parent / "tls.cfg"


@pytest.mark.parametrize("extra", [[], ["-A", "WITH_TLS", "-A", f'TLS_CFG="{TLS_CFG}"']])
def test_config_parses(kamailio_binary: str, tmp_path: Path, extra: list[str]) -> None:
    listed = tmp_path / "d.list"
    listed.write_text("1 sip:127.0.0.1:5060;transport=tcp 0 0\n")
    done = subprocess.run(
        [kamailio_binary, "-c", "-f", str(KAMAILIO_CFG), "-A", f'DISPATCHER_LIST="{listed}"',
         "-A", "LISTEN_UDP=udp:127.0.0.1:5999", "-A", "LISTEN_TCP=tcp:127.0.0.1:5999",
         "-A", "LISTEN_TLS=tls:127.0.0.1:6000", *extra],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


def _bye(kam_port: int, ruri: str, me: int) -> bytes:
    return (
        f"BYE {ruri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-ha-{abs(hash(ruri))}\r\n"
        f"From: <sip:a@127.0.0.1>;tag=f1\r\nTo: <sip:b@127.0.0.1:{kam_port}>;tag=t1\r\n"
        "Call-ID: ha-in-dialog@127.0.0.1\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def test_in_dialog_without_route_set_is_answered(kamailio_binary: str, tmp_path: Path) -> None:
    replica = start_replica(tmp_path, "a")
    kam = start_kamailio(kamailio_binary, tmp_path, [replica.port])
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(5)
            me = sock.getsockname()[1]
            # the Request-URI is a replica: relayed to it, and its 481 comes back
            ruri = f"sip:tas@127.0.0.1:{replica.port};transport=tcp"
            sock.sendto(_bye(kam.port, ruri, me), ("127.0.0.1", kam.port))
            assert sock.recv(65536).startswith(b"SIP/2.0 481 ")
            # anywhere else: 404, not silence
            sock.sendto(_bye(kam.port, "sip:x@192.0.2.1", me), ("127.0.0.1", kam.port))
            assert sock.recv(65536).startswith(b"SIP/2.0 404 ")
            # the proxy itself, on the replicas' host (SIPp's BYE after an aborted call): 404,
            # not relayed to itself until Max-Forwards runs out (483)
            ruri = f"sip:+4790000000@127.0.0.1:{kam.port}"
            sock.sendto(_bye(kam.port, ruri, me), ("127.0.0.1", kam.port))
            assert sock.recv(65536).startswith(b"SIP/2.0 404 ")
            # a replica's address on another port is not a replica
            ruri = f"sip:tas@127.0.0.1:{replica.port + 1};transport=tcp"
            sock.sendto(_bye(kam.port, ruri, me), ("127.0.0.1", kam.port))
            assert sock.recv(65536).startswith(b"SIP/2.0 404 ")
    finally:
        kam.stop()
        replica.stop()
