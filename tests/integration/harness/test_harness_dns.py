"""``tas call`` to a SIP URI with a host name: the next hop is located per RFC 3263 through a
real DNS server (dnsmasq on loopback, ``[dns] nameservers``): NAPTR -> SRV -> A to the sandbox
core, whose handset answers."""

from __future__ import annotations

import json
from pathlib import Path

from tas.server import TasServer
from tests.dnsmasq import dnsmasq
from tests.integration.harness.conftest import ANSWER, tas_call


async def test_tas_call_locates_a_named_core(server: TasServer, tmp_path: Path) -> None:
    assert server.core is not None
    host, port = server.core.address("UDP")
    records = [
        "--naptr-record=core.test,10,50,S,SIP+D2U,,_sip._udp.core.test",
        f"--srv-host=_sip._udp.core.test,edge.core.test,{port},10,0",
        f"--host-record=edge.core.test,{host}",
    ]
    with dnsmasq(tmp_path, records) as dns:
        config = tmp_path / "tas.toml"
        config.write_text(f'[dns]\nnameservers = ["{dns.nameserver}"]\n')
        result = await tas_call(
            f"sip:{ANSWER}@core.test", "--config", str(config), "--duration", "0.5s",
            "--expect", "answered", "--json",
        )  # fmt: skip
        queries = dns.queries()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["result"]["status"] == 200
    assert queries == ["NAPTR core.test", "SRV _sip._udp.core.test", "A edge.core.test"]
