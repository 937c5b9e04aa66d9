"""Where the client connects, from settings; backoff arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from registrations.client import REGIONS, RetryPolicy, Target
from tas.config import Settings


def settings(**operator: object) -> Settings:
    return Settings(operator=operator)  # type: ignore[arg-type]


def test_sandbox_is_plaintext_loopback_without_auth() -> None:
    assert Target.from_settings(settings()) == Target(
        "127.0.0.1:50051", tls=False, authenticated=False
    )


@pytest.mark.parametrize("region", ["shamrock", "oak", "sakura"])
def test_regions_are_tls_on_443(region: str) -> None:
    target = Target.from_settings(settings(target=region))
    assert target == Target(f"api.{region}.wgtwo.com:443", tls=True, authenticated=True)
    assert REGIONS[region] == target.address


def test_host_port_target_with_private_ca(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"PEM")
    target = Target.from_settings(settings(target="core.example.net:8443", ca_file=ca))
    assert target == Target(
        "core.example.net:8443", tls=True, authenticated=True, root_certificates=b"PEM"
    )
    plain = Target.from_settings(settings(target="127.0.0.1:9000", tls=False))
    assert (plain.tls, plain.authenticated) == (False, True)


@pytest.mark.parametrize("bad", ["nowhere", "host:", ":443", "host:https"])
def test_bad_target_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not sandbox, shamrock, oak, sakura or host:port"):
        Target.from_settings(settings(target=bad))


def test_full_jitter_backoff_is_capped() -> None:
    policy = RetryPolicy(attempts=6, initial=0.2, multiplier=2.0, cap=1.0)
    assert [policy.delay(n, 1.0) for n in range(5)] == [0.2, 0.4, 0.8, 1.0, 1.0]
    assert policy.delay(3, 0.0) == 0.0
    assert policy.delay(1, 0.5) == 0.2
