import pytest

from tas.transport.trust import Trust, TrustPolicy, parse_networks


def test_operator_cidr_sandbox_and_untrusted():
    policy = TrustPolicy.from_texts(["192.0.2.0/24", "2001:db8::/32"], ["127.0.0.1"])
    assert policy.classify("192.0.2.77") is Trust.OPERATOR
    assert policy.classify("2001:db8::5") is Trust.OPERATOR
    assert policy.classify("::ffff:192.0.2.8") is Trust.OPERATOR
    assert policy.classify("127.0.0.1") is Trust.SANDBOX
    assert policy.classify("127.0.0.2") is Trust.UNTRUSTED
    assert policy.classify("not-an-ip") is Trust.UNTRUSTED


def test_client_certificate_name_makes_operator():
    policy = TrustPolicy.from_texts(operator_names=["core.operator.example"])
    assert policy.classify("198.51.100.1", ["CORE.operator.example"]) is Trust.OPERATOR
    assert policy.classify("198.51.100.1", ["other.example"]) is Trust.UNTRUSTED
    assert policy.classify("198.51.100.1") is Trust.UNTRUSTED


def test_trust_properties():
    assert Trust.OPERATOR.is_core and Trust.SANDBOX.is_core
    assert not Trust.UA.is_core and Trust.UA.is_trusted
    assert not Trust.UNTRUSTED.is_trusted


def test_bad_network_is_named():
    with pytest.raises(ValueError, match="'10.0.0.300'"):
        parse_networks(["10.0.0.300"])


def test_cache_is_bounded(monkeypatch):
    import tas.transport.trust as trust

    monkeypatch.setattr(trust, "_CACHE_LIMIT", 4)
    policy = TrustPolicy()
    for i in range(10):
        policy.classify(f"10.0.0.{i}")
    assert len(policy._cache) <= 4


def test_cert_names_from_a_verified_peer_certificate():
    from tas.transport.trust import cert_names

    peercert = {
        "subject": ((("countryName", "NO"),), (("commonName", "core.operator.example"),)),
        "subjectAltName": (("DNS", "sbc1.operator.example"), ("IP Address", "192.0.2.1")),
    }
    assert cert_names(peercert) == ("sbc1.operator.example", "core.operator.example")
    assert cert_names(None) == () and cert_names({}) == ()
