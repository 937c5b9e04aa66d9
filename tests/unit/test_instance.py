"""Port offsets of ``tas serve --instance N`` (tas.instance) and the ``[server]`` settings."""

from __future__ import annotations

import pytest

from tas.config import Settings
from tas.instance import apply_instance, default_instance_id, offset_hostport, offset_port


def test_offsets_of_one_address() -> None:
    assert offset_port(5060, 100) == 5160
    assert offset_port(0, 100) == 0  # any port stays any port
    assert offset_hostport("127.0.0.1:5060", 200) == "127.0.0.1:5260"
    assert offset_hostport("[::1]:9100", 100) == "[::1]:9200"
    with pytest.raises(ValueError, match="65535"):
        offset_port(65500, 100)
    with pytest.raises(ValueError, match="host:port"):
        offset_hostport("localhost", 100)


def test_instance_one_shifts_every_listener() -> None:
    settings = Settings()
    assert settings.instance_id == default_instance_id(0)
    assert apply_instance(settings, 1) == 100
    assert settings.sip.udp == ["127.0.0.1:5160"] and settings.sip.tcp == ["127.0.0.1:5160"]
    assert settings.sip.tls == ["127.0.0.1:5161"]
    assert settings.metrics.listen == "127.0.0.1:9200"
    assert settings.voicemail.api == "127.0.0.1:50161"
    sandbox = settings.sandbox
    assert (sandbox.grpc, sandbox.sip_port, sandbox.sip_tls_port) == ("127.0.0.1:50151", 5170, 5171)
    assert settings.server.index == 1
    assert settings.instance_id == default_instance_id(1)


def test_instance_zero_changes_nothing_and_a_named_instance_is_kept() -> None:
    settings = Settings(server={"instance": "tas-a", "port_step": 10})  # type: ignore[arg-type]
    before = settings.model_dump()
    assert apply_instance(settings) == 0
    assert settings.model_dump() == before
    assert apply_instance(settings, 2) == 20
    assert settings.instance_id == "tas-a"
    assert settings.sip.udp == ["127.0.0.1:5080"]


def test_index_from_the_config_file_applies() -> None:
    settings = Settings(server={"index": 3})  # type: ignore[arg-type]
    assert settings.instance_id == default_instance_id(3)
    apply_instance(settings)
    assert settings.metrics.listen == "127.0.0.1:9400"
    assert settings.server.drain_timeout == 30.0
