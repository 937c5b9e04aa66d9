"""``tas serve``'s trust wiring (tas.server): who is the operator core, mutual TLS."""

from __future__ import annotations

import ssl
from pathlib import Path

from tas.config import Settings
from tas.server import stack_options, trust_policy
from tas.transport.trust import Trust


def test_embedded_sandbox_host_is_trusted_automatically(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    policy = trust_policy(settings)
    assert policy.classify("127.0.0.1") is Trust.SANDBOX
    assert policy.classify("127.0.0.2") is Trust.UNTRUSTED


def test_production_default_trusts_nobody(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    settings.sandbox.enabled = False
    assert trust_policy(settings).classify("127.0.0.1") is Trust.UNTRUSTED
    settings.sandbox.enabled = True
    settings.operator.target = "shamrock"  # a real region: the sandbox host is nobody special
    assert trust_policy(settings).classify("127.0.0.1") is Trust.UNTRUSTED


def test_configured_core_networks_and_names(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    settings.sandbox.enabled = False
    settings.operator.trusted = ["192.0.2.0/24"]
    settings.operator.trusted_names = ["sbc.operator.example"]
    policy = trust_policy(settings)
    assert policy.classify("192.0.2.9") is Trust.OPERATOR
    assert policy.classify("198.51.100.1", ["sbc.operator.example"]) is Trust.OPERATOR


def test_trusted_names_ask_for_a_client_certificate(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    settings.sip.tls = ["127.0.0.1:0"]
    options = stack_options(settings)
    assert options.enforce_trust
    assert options.server_ssl is not None and options.server_ssl.verify_mode == ssl.CERT_NONE
    settings.operator.trusted_names = ["sbc.operator.example"]
    settings.sip.tls_client_ca = tmp_path / "tls" / "sip-tls-cert.pem"  # generated above
    options = stack_options(settings)
    assert options.server_ssl is not None
    assert options.server_ssl.verify_mode == ssl.CERT_OPTIONAL  # UAs without a cert still in
