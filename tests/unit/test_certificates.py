"""Our own TLS certificate: the configured pair, else one generated once under data_dir/tls."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from tas.certificates import own_certificate, self_signed_certificate
from tas.config import Settings


def settings(tmp_path: Path, **sip: object) -> Settings:
    value = Settings(data_dir=tmp_path)
    for key, item in sip.items():
        setattr(value.sip, key, item)
    return value


def common_name(cert: Path) -> str:
    subject = x509.load_pem_x509_certificate(cert.read_bytes()).subject
    return str(subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def test_configured_pair_wins(tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    assert own_certificate(settings(tmp_path, tls_cert=cert, tls_key=key)) == (cert, key)
    assert not (tmp_path / "tls").exists()  # nothing generated


def test_generated_for_the_first_tls_host_and_kept(tmp_path: Path) -> None:
    config = settings(tmp_path, tls=["[::1]:5061", "127.0.0.1:5062"])
    cert, key = own_certificate(config)
    assert cert.parent == tmp_path / "tls" and key.is_file()
    assert common_name(cert) == "::1"
    before = cert.read_bytes()
    assert own_certificate(config) == (cert, key) and cert.read_bytes() == before


def test_a_cert_without_its_key_is_not_used(tmp_path: Path) -> None:
    cert, _ = own_certificate(settings(tmp_path, tls=[], tls_cert=tmp_path / "c.pem"))
    assert cert.parent == tmp_path / "tls" and common_name(cert) == "127.0.0.1"


def test_self_signed_for_another_host_shares_the_pair(tmp_path: Path) -> None:
    first = self_signed_certificate(settings(tmp_path), "tas.example.com")
    assert common_name(first[0]) == "tas.example.com"
    assert self_signed_certificate(settings(tmp_path)) == first
