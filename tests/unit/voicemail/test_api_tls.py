"""Certificate reload decisions of the voicemail API's TLS (files on disk, no sockets) and the
plaintext rule of the production sample."""

from __future__ import annotations

import logging
import os
import shutil
import textwrap
import tomllib
from pathlib import Path

import pytest

from tas.config import VoicemailSettings, is_loopback_address
from tas.transport.tls import ensure_self_signed
from tas.voicemail.api_tls import CertificateFiles, ReloadingCertificates

DEPLOY = Path(__file__).parents[3] / "deploy" / "tas.toml"


def install(pair: tuple[Path, Path], files: CertificateFiles, *, key: bool = True) -> None:
    targets = (files.cert, files.key) if key else (files.cert,)
    for source, target in zip(pair, targets, strict=False):
        shutil.copyfile(source, target.with_suffix(".new"))
        os.replace(target.with_suffix(".new"), target)


@pytest.fixture
def files(tmp_path: Path) -> CertificateFiles:
    live = tmp_path / "live"
    live.mkdir()
    return CertificateFiles(live / "cert.pem", live / "key.pem")


def test_reloads_only_when_the_files_change(tmp_path: Path, files: CertificateFiles) -> None:
    install(ensure_self_signed(tmp_path / "a"), files)
    fetcher = ReloadingCertificates(files)
    assert fetcher.loads == 1 and fetcher() is None and fetcher() is None
    install(ensure_self_signed(tmp_path / "b"), files)
    assert fetcher() is not None and fetcher.loads == 2
    assert fetcher() is None


def test_half_rotated_pair_is_not_taken_until_complete(
    tmp_path: Path, files: CertificateFiles
) -> None:
    install(ensure_self_signed(tmp_path / "a"), files)
    fetcher = ReloadingCertificates(files)
    new = ensure_self_signed(tmp_path / "b")
    install(new, files, key=False)  # the cert is new, the key still the old one
    assert fetcher() is None and fetcher.loads == 1
    install(new, files)
    assert fetcher() is not None and fetcher.loads == 2


def test_missing_files_keep_the_current_configuration(
    tmp_path: Path, files: CertificateFiles, caplog: pytest.LogCaptureFixture
) -> None:
    install(ensure_self_signed(tmp_path / "a"), files)
    fetcher = ReloadingCertificates(files)
    files.key.unlink()
    with caplog.at_level(logging.WARNING, logger="tas.voicemail.api_tls"):
        assert all(fetcher() is None for _ in range(100))  # 100 handshakes…
    assert len(caplog.records) == 1  # …one warning
    with pytest.raises(FileNotFoundError):
        ReloadingCertificates(files)  # but a server does not start without them


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1:50061", True),
        ("127.9.9.9:1", True),
        ("[::1]:50061", True),
        ("localhost:50061", True),
        ("0.0.0.0:50061", False),
        ("[::]:50061", False),
        ("10.0.0.5:50061", False),
        ("tas.example.com:50061", False),
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback_address(address) is loopback


def _k8s_config() -> str:
    """The tas.toml embedded in the Kubernetes ConfigMap (the block under ``tas.toml: |``)."""
    text = (DEPLOY.parent / "k8s" / "tas.yaml").read_text()
    block = text.split("tas.toml: |\n", 1)[1].split("\n---", 1)[0]
    return textwrap.dedent(block)


@pytest.mark.parametrize("source", ["tas.toml", "k8s/tas.yaml"])
def test_production_samples_bind_loopback_or_tls_only(source: str) -> None:
    text = DEPLOY.read_text() if source == "tas.toml" else _k8s_config()
    settings = VoicemailSettings(**tomllib.loads(text)["voicemail"])
    assert not settings.allow_plaintext
    assert settings.api_tls or is_loopback_address(settings.api)
